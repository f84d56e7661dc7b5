/**
 * Input typing before a component runs (research/smythos.md §1.2 "type inference", SRE's
 * `performTypeInference`): each declared input converts its value to its declared type, or the call
 * fails with SmythOS's message (`Invalid Number value`, …). Empty values (`''`, `0`, `false`, null,
 * undefined) are left as they are, as SmythOS does.
 */
import { jsonrepair } from 'jsonrepair';
import type { InputDef } from './component.ts';

type Infer = (value: unknown) => unknown;

const DATE_ERROR = 'Invalid Date value\nThe date string is expected to be in a format commonly used in English-speaking countries.';

/**
 * SmythOS's `JSONContent.tryParse` for the cases typing needs: a `{…}` or `[…]` string is parsed,
 * repaired first when it is not strict JSON (`{message:"hi"}`); anything else stays the string it was.
 */
export function parseJsonLoose(text: string): unknown {
  const trimmed = text.trim();
  if (!/^[[{]/.test(trimmed)) return text;
  try {
    return JSON.parse(trimmed);
  } catch {
    try {
      return JSON.parse(jsonrepair(trimmed));
    } catch {
      return text;
    }
  }
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;

const inferString: Infer = (value) => {
  if (value === null || value === undefined || value === 'null' || value === 'undefined') return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
};

const inferNumber: Infer = (value) => {
  const n = parseFloat(value as string);
  if (Number.isNaN(n)) throw new Error('Invalid Number value');
  return n;
};

const inferInteger: Infer = (value) => {
  const n = parseInt(value as string, 10);
  if (Number.isNaN(n)) throw new Error('Invalid Integer value');
  return n;
};

const inferBoolean: Infer = (value) => {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' || typeof value === 'number') {
    const text = String(value).toLowerCase();
    if (text === 'true' || text === '1') return true;
    if (text === 'false' || text === '0') return false;
  }
  throw new Error('Invalid Boolean value');
};

const inferArray: Infer = (value) => {
  if (Array.isArray(value)) return value;
  if (typeof value !== 'string') throw new Error('Invalid Array value');
  return value.trim().startsWith('[') ? parseJsonLoose(value) : value.split(',');
};

const inferObject: Infer = (value) => {
  const object = isPlainObject(value) ? value : typeof value === 'string' ? parseJsonLoose(value) : undefined;
  if (!isPlainObject(object)) throw new Error('Invalid Object value');
  return object;
};

const inferDate: Infer = (value) => {
  if (typeof value !== 'string' && typeof value !== 'number') throw new Error(DATE_ERROR);
  const date = typeof value === 'string' && Number.isNaN(Number(value)) ? new Date(value) : new Date(Number(value));
  if (Number.isNaN(date.getTime())) throw new Error(DATE_ERROR);
  return date.toISOString();
};

/**
 * Binary, Image, Audio, Video: Orrery keeps the value as given (a URL, a data URL, base64 or a file
 * object from a multipart upload). SmythOS turns them into `smythfs://` files; Orrery has no file store
 * behind components yet, so nothing is fetched or stored here.
 */
const inferBinary: Infer = (value) => value;

const STRATEGIES: Record<string, Infer> = {
  any: (value) => value,
  string: inferString,
  text: inferString,
  number: inferNumber,
  integer: inferInteger,
  boolean: inferBoolean,
  array: inferArray,
  object: inferObject,
  date: inferDate,
  binary: inferBinary,
  image: inferBinary,
  audio: inferBinary,
  video: inferBinary,
};

/**
 * `inputs` with each declared input converted to its type. Unknown types and falsy values are left
 * unchanged; other keys (agent variables) are copied through.
 * @throws Error `Invalid <Type> value` (SmythOS's messages) when a value cannot be converted
 */
export function inferInputTypes(inputs: Record<string, unknown>, declared: readonly InputDef[]): Record<string, unknown> {
  if (declared.length === 0) return inputs;
  const out = { ...inputs };
  for (const input of declared) {
    const value = inputs[input.name];
    if (!value) continue;
    const strategy = STRATEGIES[(input.type ?? 'any').toLowerCase()];
    if (strategy) out[input.name] = strategy(value);
  }
  return out;
}
