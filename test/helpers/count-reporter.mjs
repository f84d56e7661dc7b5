/**
 * A `node --test` reporter that writes one JSON object: per test file, how many tests it reported
 * (`tests`; suites are not tests, as in Node's own summary) and how many of its suites were skipped
 * (`skippedSuites`: Node reports a skipped `describe` without the tests inside it). scripts/test.mjs
 * runs it beside the spec reporter to count skipped tests per file.
 */
/** Prefix of the skip reason list mode (list-tests.mjs) gives a test; the file it is declared in follows. */
export const LISTED = 'listed, not run: ';

export default async function* countReporter(source) {
  /** @type {Record<string, { tests: number; skippedSuites: number }>} */
  const files = {};
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { skip, details } = event.data;
    // In list mode (list-tests.mjs) the file a test was declared in is only known from its skip reason.
    const file = typeof skip === 'string' && skip.startsWith(LISTED) ? skip.slice(LISTED.length) : (event.data.file ?? '(unknown)');
    const entry = (files[file] ??= { tests: 0, skippedSuites: 0 });
    if (details?.type === 'suite') {
      if (skip) entry.skippedSuites++;
    } else entry.tests++;
  }
  yield JSON.stringify({ files });
}
