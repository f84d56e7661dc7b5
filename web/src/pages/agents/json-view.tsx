/**
 * A JSON value shown folded: a one-line preview as the summary, the indented JSON when opened.
 * Values whose one-line JSON is short are shown as they are (no fold).
 */

/** How much of the one-line JSON the folded summary shows, characters. */
const PREVIEW_CHARS = 60;

/** The value as indented JSON (text as it is), never throwing on cycles or BigInts. */
export function jsonText(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}

/** `value` folded under `label` (the accessible name of its summary). */
export function JsonView({ value, label }: { value: unknown; label: string }) {
  if (value === undefined || value === null) return <span className="muted">—</span>;
  const text = jsonText(value);
  const oneLine = typeof value === 'string' ? text : JSON.stringify(value) ?? text;
  // Short values need no fold (a short text with line breaks still folds, to keep rows one line).
  if (oneLine.length <= PREVIEW_CHARS && (typeof value !== 'string' || !text.includes('\n'))) return <code aria-label={label}>{oneLine}</code>;
  return (
    <details className="agent-json">
      <summary aria-label={label}>
        <code>{oneLine.length > PREVIEW_CHARS ? `${oneLine.slice(0, PREVIEW_CHARS)}…` : oneLine}</code>
      </summary>
      <pre>{text}</pre>
    </details>
  );
}
