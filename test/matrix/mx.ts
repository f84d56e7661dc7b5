/**
 * Matrix test helpers: plain `fetch` against a listening Orrery, the way a Matrix client talks —
 * a bearer access token (or `?access_token=`), JSON bodies, `{errcode}` errors.
 */
import assert from 'node:assert/strict';
import type { TestServer } from '../helpers/server.ts';

/** A decoded Matrix response. */
export interface MxRes<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** Options of {@link mxCall}. */
export interface MxOptions {
  /** Access token sent as `Authorization: Bearer`. */
  token?: string | undefined;
  /** JSON body (serialised) or a raw string sent as is. */
  body?: unknown;
  /** Extra headers (e.g. a content type for raw bodies). */
  headers?: Record<string, string>;
}

/** Send `method path` (path from the origin, e.g. `/_matrix/client/v3/sync`). */
export async function mxCall<T = any>(s: TestServer, method: string, path: string, options: MxOptions = {}): Promise<MxRes<T>> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  }
  const response = await fetch(s.url + path, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  return { status: response.status, headers: response.headers, body: parsed as T };
}

/** Assert a Matrix error: status and errcode, with an `error` string. */
export function assertMxError(res: MxRes, status: number, errcode: string, what = ''): void {
  assert.equal(res.status, status, `${what} status: ${JSON.stringify(res.body)}`);
  assert.equal(res.body?.errcode, errcode, `${what} errcode: ${JSON.stringify(res.body)}`);
  assert.equal(typeof res.body?.error, 'string', `${what} error string`);
}

/** A Matrix user: id, device and token, with calls bound to a prefix (`v3` or `r0`). */
export interface MxUser {
  userId: string;
  deviceId: string;
  token: string;
  localpart: string;
  password: string;
  /** `method /_matrix/client/<prefix><path>` with this user's token. */
  call<T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<MxRes<T>>;
}

/** Bind a token to calls under `/_matrix/client/<prefix>`. */
export function bindUser(s: TestServer, prefix: string, fields: Omit<MxUser, 'call'>): MxUser {
  return {
    ...fields,
    call: (method, path, body, headers) => mxCall(s, method, `/_matrix/client/${prefix}${path}`, { token: fields.token, body, ...(headers ? { headers } : {}) }),
  };
}

/** Register `localpart` through `POST /register` (m.login.dummy) under `prefix`. */
export async function mxRegister(s: TestServer, localpart: string, prefix = 'v3'): Promise<MxUser> {
  const password = `password-${localpart}`;
  const res = await mxCall(s, 'POST', `/_matrix/client/${prefix}/register`, { body: { username: localpart, password, auth: { type: 'm.login.dummy' } } });
  assert.equal(res.status, 200, `register ${localpart}: ${JSON.stringify(res.body)}`);
  return bindUser(s, prefix, { userId: res.body.user_id, deviceId: res.body.device_id, token: res.body.access_token, localpart, password });
}

/** A new login (a new device and token) of an existing user. */
export async function mxLogin(s: TestServer, user: Pick<MxUser, 'localpart' | 'password'>, prefix = 'v3'): Promise<MxUser> {
  const res = await mxCall(s, 'POST', `/_matrix/client/${prefix}/login`, { body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: user.localpart }, password: user.password } });
  assert.equal(res.status, 200, `login ${user.localpart}: ${JSON.stringify(res.body)}`);
  return bindUser(s, prefix, { userId: res.body.user_id, deviceId: res.body.device_id, token: res.body.access_token, localpart: user.localpart, password: user.password });
}

/** Path-encode a Matrix id (`!room:server`, `@user:server`, `#alias:server`, `$event`). */
export const enc = encodeURIComponent;

let txn = 0;
/** A fresh transaction id. */
export const nextTxn = (): string => `t${Date.now()}-${++txn}`;

/** Send an `m.text` message; returns the response. */
export function sendText(user: MxUser, roomId: string, body: string, txnId = nextTxn()): Promise<MxRes> {
  return user.call('PUT', `/rooms/${enc(roomId)}/send/m.room.message/${enc(txnId)}`, { msgtype: 'm.text', body });
}

/** A room `owner` creates with `body` (default: a public chat), joined by each of `joiners`. */
export async function mxRoom(owner: MxUser, joiners: MxUser[] = [], body: Record<string, unknown> = { preset: 'public_chat' }): Promise<string> {
  const created = await owner.call('POST', '/createRoom', body);
  assert.equal(created.status, 200, JSON.stringify(created.body));
  for (const j of joiners) assert.equal((await j.call('POST', `/join/${enc(created.body.room_id)}`, {})).status, 200);
  return created.body.room_id as string;
}

