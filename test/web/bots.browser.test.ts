// The Bots page (/bots) and the Queue page (/admin/queue) in a real browser: a user adds a
// registration and an `echo` command with a `!echo` prefix filter through the page, sees them listed,
// sees an endpoint's refusal worded as the endpoint words it, sees a job of theirs with its result,
// removes the command and the registration; an admin sees the queue's counts, retries a failed job
// and cancels a queued one.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const FAILS = 'ui-test-fails';
const IDLE = 'ui-test-idle';

let s: TestServer;
let browser: Browser;
before(async () => {
  s = await startTestServer({ RATE_LIMIT_MAX: '100000' });
  const { queue } = s.orrery.services;
  queue.work(FAILS, () => {
    throw new Error('the ui-test handler broke');
  });
  await queue.start();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  mkdirSync('test-results', { recursive: true });
  // The first account is the admin.
  await s.client().register('boss');
});
after(async () => {
  await browser?.close();
  await s?.close();
});

/** A new browser (own cookies) with `name` registered and signed in. */
async function person(name: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(s.url + '/register');
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Password').fill(`password-${name}`);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByTestId('whoami').filter({ hasText: `@${name}:localhost` }).waitFor();
  return page;
}

/** A new browser signed in as `name` (an existing account). */
async function signIn(name: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(s.url + '/login');
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Password').fill(`password-${name}`);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('whoami').filter({ hasText: `@${name}:localhost` }).waitFor();
  return page;
}

test('a user adds a registration and an echo command with a !echo prefix, sees them and a job, removes them', async () => {
  const page = await person('botter');
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Bots' }).click();
  await page.getByRole('heading', { name: 'Bots', level: 1 }).waitFor();
  await page.getByText('No registrations yet.').waitFor();
  assert.equal(await page.getByLabel(/^Global/).count(), 0, 'only admins may register a global bot');

  // The endpoint's refusal, as it words it: someone else's user id.
  await page.getByLabel('Matrix user id').fill('@someone-else:localhost');
  await page.getByRole('button', { name: 'Add registration' }).click();
  await page.getByRole('alert').filter({ hasText: 'username must match authenticated user' }).waitFor();

  await page.getByLabel('Matrix user id').fill('@botter:localhost');
  await page.getByRole('button', { name: 'Add registration' }).click();
  await page.getByRole('status').filter({ hasText: 'Registration added.' }).waitFor();
  const registration = page.getByRole('article', { name: /^Registration / });
  await registration.getByText('@botter:localhost').waitFor();
  assert.match(await page.getByLabel('Webhook secret (shown once)').inputValue(), /^[0-9a-f]{64}$/);

  await page.getByLabel('Command', { exact: true }).fill('echo');
  await page.getByLabel('Event type').selectOption('m.room.message');
  await page.getByLabel('Trigger').selectOption('prefix');
  await page.getByLabel('Prefix', { exact: true }).fill('!echo');
  assert.equal(await page.getByLabel('Filter JSON').innerText(), '{"type":"matrix-event","event_type":"m.room.message","prefix":"!echo"}');
  await page.getByRole('button', { name: 'Add command' }).click();
  await page.getByRole('status').filter({ hasText: 'Command added.' }).waitFor();
  const row = registration.getByRole('row').filter({ hasText: 'prefix !echo' });
  await row.getByRole('cell', { name: 'echo', exact: true }).waitFor();
  assert.match(await row.innerText(), /m\.room\.message · prefix !echo/);

  // The same command again: the endpoint's 409, worded as it words it; a bad command: its 400.
  await page.getByLabel('Command', { exact: true }).fill('echo');
  await page.getByLabel('Prefix', { exact: true }).fill('!echo');
  await page.getByRole('button', { name: 'Add command' }).click();
  await page.getByRole('alert').filter({ hasText: 'bot command already exists' }).waitFor();
  await page.getByLabel('Command', { exact: true }).fill('rm -rf /');
  await page.getByRole('button', { name: 'Add command' }).click();
  await page.getByRole('alert').filter({ hasText: 'command must be echo, help, agent:<agentId>[@version]/<skill> or an http(s):// URL' }).waitFor();

  // A job of botter's (the synchronous twin, as a trigger would run it) shows up with its result and timing.
  const userId = '@botter:localhost';
  const token = async () => (await s.orrery.services.accounts.issueBotJwt(userId)).token;
  const run = await fetch(s.url + '/_run-command', {
    method: 'POST',
    headers: { authorization: await token(), 'content-type': 'application/vnd.api+json' },
    body: JSON.stringify({ data: { type: 'run-command', attributes: { command: 'echo', body: 'hello from the test' } } }),
  });
  assert.equal(run.status, 201);
  const jobs = page.getByRole('table', { name: 'Recent jobs' });
  const jobRow = jobs.getByRole('row').filter({ hasText: 'hello from the test' }).first();
  await jobRow.getByRole('cell', { name: 'completed', exact: true }).waitFor({ timeout: 10_000 });
  assert.match(await jobRow.innerText(), /\d+ ms/);
  await page.screenshot({ path: 'test-results/bots-page.png', fullPage: true });

  await page.getByRole('button', { name: 'Remove command echo (m.room.message · prefix !echo)' }).click();
  await page.getByRole('status').filter({ hasText: 'Command removed.' }).waitFor();
  await registration.getByText('No commands.').waitFor();
  const api = async (path: string) => (await (await fetch(s.url + path, { headers: { authorization: await token() } })).json()) as { data: unknown[] };
  assert.deepEqual((await api('/_bot-commands')).data, [], 'the command is gone on the server');

  await page.getByRole('button', { name: /^Remove registration / }).click();
  await page.getByText('No registrations yet.').waitFor();
  assert.deepEqual((await api('/_bot-registrations')).data, []);
  await page.context().close();
});

test('the bot JWT in memory is renewed when the endpoints refuse it with 401: the page keeps working', async () => {
  const page = await person('renewer');
  // The first JWT the page gets is one the server refuses (as an expired or revoked one would be).
  let first = true;
  await page.route('**/_server-session', async (route) => {
    if (!first) return route.continue();
    first = false;
    const response = await route.fetch();
    await route.fulfill({ response, headers: { ...response.headers(), authorization: 'eyJhbGciOiJIUzI1NiJ9.e30.stale' } });
  });
  const answers: string[] = [];
  page.on('response', (r) => {
    if (/\/_(server-session|bot-registrations?)$/.test(r.url())) answers.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`);
  });
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Bots' }).click();
  await page.getByText('No registrations yet.').waitFor();
  await page.getByRole('button', { name: 'Add registration' }).click();
  await page.getByRole('status').filter({ hasText: 'Registration added.' }).waitFor();
  await page.getByRole('article', { name: /^Registration / }).getByText('@renewer:localhost').waitFor();
  assert.deepEqual(answers.filter((a) => a.includes('GET /_bot-registrations')).slice(0, 2), ['401 GET /_bot-registrations', '200 GET /_bot-registrations'], 'refused, then retried with a new JWT');
  assert.equal(answers.filter((a) => a.includes('/_server-session')).length, 2, 'one exchange, one renewal');
  assert.ok(answers.includes('201 POST /_bot-registration'), 'later calls use the renewed JWT');
  await page.context().close();
});

test('an admin sees the queue counts, retries a failed job and cancels a queued one', async () => {
  const { queue } = s.orrery.services;
  const failed = await queue.enqueue({ type: FAILS, payload: { n: 1 }, maxAttempts: 1 });
  await waitFor(async () => (await queue.get(failed.id))?.state === 'failed', { what: 'the job to fail' });
  const queued = await queue.enqueue({ type: IDLE, payload: { n: 2 } }); // nobody works on IDLE
  const counts = await queue.counts();

  // A user has no Queue link and the page refuses.
  const user = await signIn('botter').catch(() => person('plainuser'));
  assert.equal(await user.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Queue' }).count(), 0);
  await user.goto(s.url + '/admin/queue');
  await user.getByRole('alert').filter({ hasText: 'Admins only.' }).waitFor();
  await user.context().close();

  const page = await signIn('boss');
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Queue' }).click();
  await page.waitForURL(/\/admin\/queue$/);
  await page.getByRole('heading', { name: 'Queue', level: 1 }).waitFor();
  await page.getByTestId('count-failed').filter({ hasText: String(counts.failed) }).waitFor();
  await page.getByTestId('count-queued').filter({ hasText: String(counts.queued) }).waitFor();

  // Failed jobs are shown first, with their error and attempts.
  const jobs = page.getByRole('table', { name: 'Jobs' });
  const rowOf = (id: string) => jobs.getByRole('row').filter({ has: page.getByRole('button', { name: new RegExp(`^(Retry|Cancel) job ${id}$`) }) });
  const failedRow = rowOf(failed.id);
  await failedRow.getByRole('cell', { name: 'the ui-test handler broke' }).waitFor();
  assert.match(await failedRow.innerText(), /1 of 1/);
  await page.screenshot({ path: 'test-results/queue-page.png', fullPage: true });
  await page.getByRole('button', { name: `Retry job ${failed.id}` }).click();
  await page.getByRole('status').filter({ hasText: `Job ${failed.id} queued again` }).waitFor();
  // It ran again (and failed again: the handler still throws) — with a fresh attempt.
  await waitFor(async () => {
    const job = await queue.get(failed.id);
    return job?.state === 'failed' && job.attempts === 1 && job.finishedAt !== null;
  });

  await page.getByLabel('State', { exact: true }).selectOption('queued');
  const queuedRow = rowOf(queued.id);
  await queuedRow.getByRole('cell', { name: 'queued', exact: true }).waitFor();
  await page.getByRole('button', { name: `Cancel job ${queued.id}` }).click();
  await page.getByRole('status').filter({ hasText: `Job ${queued.id} cancelled.` }).waitFor();
  assert.equal((await queue.get(queued.id))?.state, 'cancelled');
  await page.getByLabel('State', { exact: true }).selectOption('cancelled');
  await rowOf(queued.id).getByRole('cell', { name: 'cancelled by @boss:localhost' }).waitFor();
  await page.getByTestId('count-cancelled').filter({ hasText: String(counts.cancelled + 1) }).waitFor();
  await page.context().close();
});
