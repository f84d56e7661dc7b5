/**
 * Template strings in component configuration (research/smythos.md §1.2): `{{name}}` is replaced from
 * the component's inputs and the agent variables, `{{a.b[0]}}` reads a path, objects are inserted as
 * JSON, quotes in inserted strings are escaped (`\"`, research §13) and unmatched placeholders stay as
 * they are (or are removed by {@link cleanTemplate}). `{{KEY(name)}}` is not handled here: vault keys are
 * resolved into the agent variables before a run starts.
 */

const PLACEHOLDER = /{{(.*?)}}/g;

/**
 * The value at a dotted or bracket path (`body.message`, `items[0].id`, `a[b][c]`), or undefined when
 * any step is missing. SmythOS's `JSONExpression` splits on `.`, `[` and `]` the same way.
 */
export function jsonExpression(value: unknown, path: string): unknown {
  let current: unknown = value;
  for (const part of path.split(/\.|\[|\]\.|\]\[|\]/)) {
    if (part === '') continue;
    if (current === undefined || current === null) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/** Escapes the double quotes of an inserted string so a JSON-shaped template stays valid. */
export function escapeJsonField(text: string): string {
  return text.replace(/\\"/g, '"').replace(/"/g, '\\"');
}

/**
 * `text` with each `{{token}}` replaced from `data` (own key first, then as a path), repeated up to
 * `maxDepth` times so a value that itself holds placeholders is resolved too. Non-strings are returned
 * unchanged.
 */
export function parseTemplate<T>(text: T, data: Record<string, unknown>, maxDepth = 5): T {
  if (typeof text !== 'string' || !text.includes('{{')) return text;
  let current: string = text;
  for (let i = 0; i < maxDepth; i++) {
    const previous = current;
    current = current.replace(PLACEHOLDER, (match, token: string) => {
      let value: unknown = data[token];
      if (value === undefined || value === null) value = jsonExpression(data, token) ?? match;
      if (typeof value === 'object' && value !== null) return JSON.stringify(value);
      return typeof value === 'string' ? escapeJsonField(value) : String(value);
    });
    if (previous === current) break;
  }
  return current as T;
}

/** `text` without any `{{…}}` placeholder left (after {@link parseTemplate}, for unset optional values). */
export function cleanTemplate<T>(text: T, replaceWith = ''): T {
  return (typeof text === 'string' ? text.replace(PLACEHOLDER, replaceWith) : text) as T;
}
