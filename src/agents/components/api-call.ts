/**
 * APICall: one HTTP request built from templated settings (SmythOS `APICall/APICall.class.ts` with its
 * `parseUrl`, `parseHeaders`, `parseData` and `ArrayBufferResponse` helpers). The request goes through
 * `src/lib/outbound-http.ts`, so private, loopback and link-local addresses are refused unless the run's
 * `context.http.allowPrivateNetwork` is set. Not supported here: OAuth connections, proxies, `smythfs://`
 * URLs and component-template variables' async sources (plain `_templateVars` values are used).
 */
import { z } from 'zod';
import type { ComponentContext, ComponentData, ComponentType } from '../engine/component.ts';
import { cleanTemplate, parseTemplate } from '../engine/template.ts';
import { outboundRequest } from '../../lib/outbound-http.ts';
import type { OutboundPolicy, OutboundResponse } from '../../lib/outbound-http.ts';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
const CONTENT_TYPES = ['none', 'application/json', 'multipart/form-data', 'binary', 'application/x-www-form-urlencoded', 'text/plain', 'application/xml'] as const;
const optionalText = z.string().optional();

/** Joi's wording for a missing, empty or wrong-typed value of the field labelled `label`. */
const joiMessage = (label: string, otherwise: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? `"${label}" is required` : issue.input === '' ? `"${label}" is not allowed to be empty` : otherwise;

/**
 * `data` of an APICall component, as SmythOS's Joi schema has it (messages in Joi's words): `method`
 * (required, upper case), `url` (required, ≤ 8192 chars), `headers` (a JSON object or its text),
 * `contentType`, `body`, `_templateVars`; plus Orrery's `timeout` (ms, overrides `context.http.timeoutMs`).
 * OAuth and proxy fields are accepted and ignored.
 */

export const apiCallConfig = z.looseObject({
  method: z.enum(METHODS, { error: joiMessage('Method', `"Method" must be one of [${METHODS.join(', ')}]`) }),
  url: z
    .string({ error: joiMessage('URL', '"URL" must be a string') })
    .min(1, { error: '"URL" is not allowed to be empty' })
    .max(8192, { error: '"URL" length must be less than or equal to 8192 characters long' }),
  headers: z.unknown().optional(),
  contentType: z.enum(CONTENT_TYPES, { error: joiMessage('Content-Type', `"Content-Type" must be one of [${CONTENT_TYPES.join(', ')}]`) }).optional(),
  body: z.unknown().optional(),
  _templateVars: z.record(z.string(), z.unknown()).nullish(),
  timeout: z.union([z.number().positive(), z.string().regex(/^\d+$/)]).optional(),
  proxy: optionalText,
  oauthService: optionalText,
  oauth_con_id: optionalText,
});
type ApiCallConfig = z.infer<typeof apiCallConfig>;
type Headers = Record<string, string | string[]>;

/** A string of JSON text parsed when it looks like an object or array; anything else returned as is (SmythOS's `JSONContent.tryParse`, without its repair step). */
function tryParseJson(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (!(text.startsWith('{') && text.endsWith('}')) && !(text.startsWith('[') && text.endsWith(']'))) return value;
  try {
    return JSON.parse(text);
  } catch {
    return value;
  }
}

/** Template variables first (when the component has them), then the inputs, then leftovers removed. */
function fill(text: unknown, input: Record<string, unknown>, config: ApiCallConfig): unknown {
  const withVars = config._templateVars ? parseTemplate(text, config._templateVars) : text;
  return cleanTemplate(parseTemplate(withVars, input));
}

/** The request URL: `+` read as a space, placeholders filled, then normalized by `URL` (which throws `Invalid URL`). */
export function buildUrl(input: Record<string, unknown>, config: ApiCallConfig): string {
  return new URL(fill(config.url.replace(/\+/g, '%20'), input, config) as string).href;
}

/**
 * The request headers: the `headers` setting (object or JSON text) filled from the inputs, names lower-cased,
 * `content-type` added from `contentType` unless set or `none`. Unparsable headers become SmythOS's marker
 * `{x-smyth-error: 'Error parsing headers'}`; null and false values are dropped as axios drops them.
 */
export function buildHeaders(input: Record<string, unknown>, config: ApiCallConfig): Headers {
  const raw = typeof config.headers === 'object' && config.headers !== null ? JSON.stringify(config.headers) : (config.headers as string) || '{}';
  let parsed = tryParseJson(fill(raw, input, config));
  if (typeof parsed !== 'object' || parsed === null) parsed = { 'x-smyth-error': 'Error parsing headers' };
  const headers: Headers = {};
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (value === null || value === undefined || value === false) continue;
    headers[name.toLowerCase()] = Array.isArray(value) ? value.map(String) : String(value);
  }
  const contentType = config.contentType || 'none';
  if (!headers['content-type'] && contentType !== 'none') headers['content-type'] = contentType;
  return headers;
}

/** The one `{{name}}` a whole value consists of, read raw (SmythOS's `parseRaw`), so a Buffer input stays a Buffer. */
function rawValue(value: unknown, input: Record<string, unknown>): unknown {
  if (typeof value !== 'string') return value;
  const match = /{{(.*?)}}/.exec(value);
  return match ? input[match[1] as string] : value;
}

function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array;
}

/**
 * The request body and any headers it implies, per `contentType` (SmythOS `parseData`): JSON text filled
 * and parsed; urlencoded as `k=v&…` from an object; multipart from an object of text or byte fields;
 * binary from a byte input; text filled; `none` sent as written (not template-filled, as in SmythOS).
 * An empty body sends nothing.
 */
export async function buildBody(input: Record<string, unknown>, config: ApiCallConfig): Promise<{ body?: string | Uint8Array; headers: Headers }> {
  const body = typeof config.body === 'string' ? config.body.trim() : config.body;
  if (!body) return { headers: {} };
  switch (config.contentType || 'none') {
    case 'application/json':
      return { body: serializeJson(tryParseJson(fill(body, input, config))), headers: {} };
    case 'application/x-www-form-urlencoded': {
      const data = tryParseJson(fill(body, input, config));
      if (typeof data !== 'object' || data === null) return { body: String(data), headers: {} };
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(data)) params.append(k, String(v));
      return { body: params.toString(), headers: {} };
    }
    case 'multipart/form-data':
      return multipart(body, input, config);
    case 'binary': {
      const value = rawValue(body, input);
      return isBytes(value) ? { body: value, headers: {} } : { body: new Uint8Array(0), headers: {} };
    }
    case 'text/plain':
    case 'application/xml':
      return { body: String(fill(body, input, config)), headers: {} };
    default:
      return { body: typeof body === 'string' ? body : JSON.stringify(body), headers: {} };
  }
}

/** axios's JSON serialization: valid JSON text is sent trimmed, anything else is `JSON.stringify`d. */
function serializeJson(data: unknown): string {
  if (typeof data === 'string') {
    try {
      JSON.parse(data);
      return data.trim();
    } catch {
      return JSON.stringify(data);
    }
  }
  return JSON.stringify(data);
}

async function multipart(body: unknown, input: Record<string, unknown>, config: ApiCallConfig): Promise<{ body: Uint8Array; headers: Headers }> {
  const fields = (typeof body === 'string' ? JSON.parse(body) : body) as Record<string, unknown>;
  const form = new FormData();
  for (const [key, field] of Object.entries(fields)) {
    const value = rawValue(typeof field === 'boolean' ? String(field) : field, input);
    if (isBytes(value)) {
      form.append(key, new Blob([Buffer.from(value)]), key);
      continue;
    }
    const text = fill(value, input, config);
    if (text) form.append(key, typeof text === 'string' ? text : JSON.stringify(text));
  }
  // The fetch Response serializes the form and picks its boundary.
  const encoded = new Response(form);
  return { body: new Uint8Array(await encoded.arrayBuffer()), headers: { 'content-type': encoded.headers.get('content-type') as string } };
}

const JSON_TYPES = ['application/json', 'application/ld+json', 'application/geo+json', 'application/graphql', 'application/vnd.api+json', 'application/json-patch+json', 'application/merge-patch+json', 'application/problem+json', 'application/hal+json', 'application/vnd.collection+json', 'application/json-seq', 'application/csp-report', 'application/manifest+json', 'application/cloudevents+json'];
const TEXT_TYPES = ['text/', 'application/xml', 'application/xhtml+xml', 'application/csv', 'application/x-www-form-urlencoded', 'application/x-yaml', 'application/yaml', 'application/javascript', 'application/sql', 'application/rtf'];

/**
 * The `Response` output (SmythOS `parseArrayBufferResponse`): JSON content types parsed (an empty body is
 * `{}`), text types as text, anything else as text unless it looks binary, in which case it is
 * `{mimetype, size, url}` with a `data:` URL (SmythOS stores the bytes and gives a `smythfs://` URL).
 * @throws SyntaxError for a JSON content type whose body is not JSON (SmythOS reports it as `_error`).
 */
export function parseResponseBody(res: Pick<OutboundResponse, 'headers' | 'body'>): unknown {
  const contentType = typeof res.headers['content-type'] === 'string' ? res.headers['content-type'] : undefined;
  const clean = contentType?.split(';')[0]?.trim().toLowerCase();
  if (clean && JSON_TYPES.includes(clean)) return JSON.parse(res.body.toString('utf8') || '{}');
  if (clean && TEXT_TYPES.some((t) => clean === t || (t.endsWith('/') && clean.startsWith(t)))) return res.body.toString('utf8');
  if (looksBinary(res.body)) {
    const mimetype = clean || 'application/octet-stream';
    return { mimetype, size: res.body.length, url: `data:${mimetype};base64,${res.body.toString('base64')}` };
  }
  return res.body.toString('utf8');
}

/** NUL bytes or text that does not survive a UTF-8 round trip mark a body as binary. */
function looksBinary(body: Buffer): boolean {
  if (body.includes(0)) return true;
  return Buffer.compare(Buffer.from(body.toString('utf8'), 'utf8'), body) !== 0;
}

/**
 * The headers axios adds when they are missing, which APIs called from SmythOS agents have always
 * received: an `accept` of JSON, then text, then anything, and for POST, PUT and PATCH a
 * `content-type: application/x-www-form-urlencoded` (axios 1.x `dispatchRequest`, even for a JSON-looking
 * text body sent with contentType `none`).
 */
function withAxiosDefaults(method: string, headers: Headers): Headers {
  const out: Headers = { accept: 'application/json, text/plain, */*', ...headers };
  if (['POST', 'PUT', 'PATCH'].includes(method) && !out['content-type']) out['content-type'] = 'application/x-www-form-urlencoded';
  return out;
}

function timeoutMs(config: ApiCallConfig, context: ComponentContext): number {
  return config.timeout !== undefined ? Number(config.timeout) : context.http.timeoutMs;
}

/**
 * APICall: any inputs (used in the templates) → outputs `Response` (parsed body) and `Headers` (lower-case
 * names), and `_error` on failure: axios's words for a non-2xx status (`Request failed with status code
 * 404`, with `Response` and `Headers` still set) and a timeout (`timeout of <ms>ms exceeded`), the
 * refusal message for a private address, Node's socket error otherwise.
 * @throws `Invalid URL` and other failures before the request is sent (the engine makes them `_error`).
 */
export const apiCall: ComponentType = {
  name: 'APICall',
  doc: 'Makes one HTTP request. Config: `method` (GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS), `url`, `headers` (JSON object), `contentType` (none, application/json, application/x-www-form-urlencoded, multipart/form-data, text/plain, application/xml, binary) and `body`; `{{name}}` placeholders in url, headers and body are filled from the inputs and agent variables (vault keys included), unfilled ones removed; `timeout` in ms (default: the server\'s outbound timeout). Redirects are followed (at most 5). Outputs: `Response` (JSON parsed, text as text, binary as `{mimetype, size, url}` with a data: URL) and `Headers`. Errors (`_error`): `Request failed with status code <n>` for any non-2xx answer (Response and Headers still set), `timeout of <ms>ms exceeded`, `Invalid URL`, a refusal for private, loopback, link-local and other non-public addresses (checked on the resolved address and on every redirect; allowed only when the server\'s configuration allows private networks), or the network error. OAuth, proxies and smythfs:// URLs are not supported.',
  configSchema: apiCallConfig,
  async process(input, component: ComponentData, context) {
    const config = component.data as ApiCallConfig;
    const url = buildUrl(input, config);
    const { body, headers: bodyHeaders } = await buildBody(input, config);
    const method = (config.method || 'GET').toUpperCase();
    const headers = withAxiosDefaults(method, { ...buildHeaders(input, config), ...bodyHeaders });
    const ms = timeoutMs(config, context);
    context.log('debug', `APICall ${method} ${url}`);
    let response: OutboundResponse | undefined;
    try {
      response = await outboundRequest(
        { method, url, headers, body, timeoutMs: ms, signal: context.signal },
        context.http as OutboundPolicy,
      );
      const Headers = { ...response.headers };
      const Response = parseResponseBody(response);
      if (response.status < 200 || response.status >= 300) return { Response, Headers, _error: `Request failed with status code ${response.status}` };
      return { Response, Headers };
    } catch (err) {
      const _error = err instanceof Error ? err.message : String(err);
      context.log('debug', `APICall failed: ${_error}`);
      return { Response: null, Headers: {}, _error };
    }
  },
};
