/**
 * The Bots page's client for the bot endpoints (`/_bot-registration(s)`, `/_bot-commands`;
 * docs/bot-runner.md): a bot JWT obtained from `POST /_server-session` with the web session (cookie +
 * CSRF token), kept in memory only and renewed once on a 401; errors worded as the endpoints word
 * them (`{"errors":["<message>"]}`).
 */
import { api, ApiError } from '../../api.ts';

/** A bot registration as `GET /_bot-registrations` lists it. */
export interface BotRegistration {
  id: string;
  username: string;
  createdAt: string;
  global: boolean;
}

/** A bot command as `GET /_bot-commands` lists it. */
export interface BotCommand {
  id: string;
  botId: string;
  command: string;
  filter: Record<string, unknown>;
  createdAt: string;
}

/** A failure of a bot endpoint, with its own message (`errors[0]`). */
export class BotApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

interface Resource<A> {
  id: string;
  attributes: A;
}

let jwt: string | undefined;
let pending: Promise<string> | undefined;

/** The endpoint's own message of a failed answer, else a sentence with the status. */
async function messageOf(response: Response): Promise<string> {
  const body = (await response.json().catch(() => null)) as { errors?: unknown[]; error?: string } | null;
  const first = Array.isArray(body?.errors) ? body.errors[0] : undefined;
  if (typeof first === 'string') return first;
  if (typeof body?.error === 'string') return body.error;
  return `Request failed (${response.status})`;
}

/** A fresh bot JWT for the signed-in user: `POST /_server-session` with the cookie and the CSRF token. */
async function issue(): Promise<string> {
  const { csrf_token } = await api<{ csrf_token?: string }>('GET', '/api/auth/whoami');
  const response = await fetch('/_server-session', {
    method: 'POST',
    credentials: 'same-origin',
    headers: csrf_token ? { 'x-csrf-token': csrf_token } : {},
  }).catch(() => {
    throw new BotApiError('Cannot reach the Orrery server. Is it running?', 0);
  });
  if (!response.ok) throw new BotApiError(await messageOf(response), response.status);
  const token = response.headers.get('authorization');
  if (!token) throw new BotApiError('The server answered without a bot token.', response.status);
  return token;
}

/**
 * The JWT in memory, or one being fetched (concurrent callers share one exchange). `refused`: the
 * token an endpoint just refused with 401 — dropped unless another caller has already replaced it.
 */
function token(refused?: string): Promise<string> {
  if (refused !== undefined && jwt === refused) jwt = undefined;
  if (jwt) return Promise.resolve(jwt);
  pending ??= issue().then(
    (t) => ((jwt = t), (pending = undefined), t),
    (e: unknown) => {
      pending = undefined;
      throw e;
    },
  );
  return pending;
}

let owner: string | undefined;
/**
 * Tie the JWT in memory to the signed-in user: when another user signs in in the same tab, the
 * previous user's JWT is dropped before any call.
 */
export function bindBotUser(userId: string): void {
  if (owner !== userId) {
    owner = userId;
    jwt = undefined;
    pending = undefined;
  }
}

/** Call a bot endpoint with the JWT; on a 401 (expired, revoked) get a new one and try once more. */
async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  let refused: string | undefined;
  for (;;) {
    const used = await token(refused);
    const response = await fetch(path, {
      method,
      // The JWT is the credential: no cookie, so no CSRF check applies.
      credentials: 'omit',
      headers: { authorization: used, ...(body !== undefined ? { 'content-type': 'application/vnd.api+json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    }).catch(() => {
      throw new BotApiError('Cannot reach the Orrery server. Is it running?', 0);
    });
    if (response.status === 401 && refused === undefined) {
      refused = used;
      continue;
    }
    if (!response.ok) throw new BotApiError(await messageOf(response), response.status);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }
}

/** A readable message for anything the bot client or the platform API threw. */
export function errorText(e: unknown, fallback: string): string {
  return e instanceof BotApiError || e instanceof ApiError ? e.message : fallback;
}

/** The bot endpoints the page uses. */
export const bots = {
  async registrations(): Promise<BotRegistration[]> {
    const r = await call<{ data: Array<Resource<{ username: string; createdAt: string; global?: boolean }>> }>('GET', '/_bot-registrations');
    return r.data.map((d) => ({ id: d.id, username: d.attributes.username, createdAt: d.attributes.createdAt, global: d.attributes.global === true }));
  },
  /** Register `username` (the caller's own id); its webhook secret comes back once. */
  async register(username: string, global: boolean): Promise<BotRegistration & { webhookSecret: string }> {
    const r = await call<{ data: Resource<{ username: string; createdAt: string; global?: boolean; webhookSecret: string }> }>('POST', '/_bot-registration', {
      data: { type: 'bot-registration', attributes: { username, ...(global ? { global: true } : {}) } },
    });
    const a = r.data.attributes;
    return { id: r.data.id, username: a.username, createdAt: a.createdAt, global: a.global === true, webhookSecret: a.webhookSecret };
  },
  unregister: (id: string) => call<void>('DELETE', '/_bot-registration', { data: { type: 'bot-registration', id } }),
  async commands(): Promise<BotCommand[]> {
    const r = await call<{ data: Array<Resource<Omit<BotCommand, 'id'>>> }>('GET', '/_bot-commands');
    return r.data.map((d) => ({ id: d.id, ...d.attributes }));
  },
  addCommand: (botId: string, command: string, filter: Record<string, unknown>) =>
    call<unknown>('POST', '/_bot-commands', { data: { type: 'bot-command', attributes: { botId, command, filter } } }),
  removeCommand: (id: string) => call<void>('DELETE', '/_bot-commands', { data: { type: 'bot-command', id } }),
};
