/**
 * A small HTTP client for tests that keeps a cookie jar and the CSRF token, like a browser. It talks
 * either to a listening server over fetch (`new Client(url)`) or to an app that never listens over
 * Fastify's `inject()` (`new Client(app)`), with the same API: a test switches by construction only.
 */
import type { FastifyInstance } from 'fastify';

/** A decoded response. */
export interface Res<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** One request as the client sends it, and the raw answer a transport returns. */
interface Exchange {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}
type Transport = (request: Exchange) => Promise<{ status: number; headers: Headers; text: string }>;

/** Over the network to `base` (`http://127.0.0.1:port`). */
function fetchTransport(base: string): Transport {
  return async ({ method, path, headers, body }) => {
    const response = await fetch(base + path, { method, headers, ...(body !== undefined ? { body } : {}) });
    return { status: response.status, headers: response.headers, text: await response.text() };
  };
}

/** In process through `app.inject()`: no socket; `request.ip` is 127.0.0.1 as on loopback. */
function injectTransport(app: FastifyInstance): Transport {
  return async ({ method, path, headers, body }) => {
    const response = await app.inject({ method: method as 'GET', url: path, headers, ...(body !== undefined ? { payload: body } : {}) });
    const h = new Headers();
    for (const [name, value] of Object.entries(response.headers)) {
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) h.append(name, String(v));
    }
    return { status: response.statusCode, headers: h, text: response.body };
  };
}

/** Client bound to a base URL or an app; remembers cookies and the CSRF token it is handed. */
export class Client {
  cookies = new Map<string, string>();
  csrf: string | undefined;
  bearer: string | undefined;
  private readonly send: Transport;

  /** `target`: a base URL (fetch) or a ready Fastify app (inject). */
  constructor(target: string | FastifyInstance) {
    this.send = typeof target === 'string' ? fetchTransport(target) : injectTransport(target);
  }

  /** Send `method path` with an optional JSON body and extra headers. */
  async req<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Res<T>> {
    const h: Record<string, string> = { ...headers };
    if (body !== undefined && !h['content-type']) h['content-type'] = 'application/json';
    if (this.cookies.size) h.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (this.csrf && method !== 'GET' && !('x-csrf-token' in h)) h['x-csrf-token'] = this.csrf;
    if (this.bearer && !h.authorization) h.authorization = `Bearer ${this.bearer}`;
    const response = await this.send({
      method,
      path,
      headers: h,
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [name, ...rest] = pair!.split('=');
      const value = rest.join('=');
      if (!value || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name!.trim());
      else this.cookies.set(name!.trim(), value);
    }
    let parsed: unknown = response.text;
    try {
      parsed = response.text ? JSON.parse(response.text) : null;
    } catch {
      /* not JSON */
    }
    const b = parsed as { csrf_token?: string } | null;
    if (b && typeof b === 'object' && typeof b.csrf_token === 'string') this.csrf = b.csrf_token;
    return { status: response.status, headers: response.headers, body: parsed as T };
  }

  get = <T = any>(path: string, headers?: Record<string, string>) => this.req<T>('GET', path, undefined, headers);
  post = <T = any>(path: string, body?: unknown, headers?: Record<string, string>) => this.req<T>('POST', path, body ?? {}, headers);

  /** Register `username` (password `password-<username>`) and keep the session. */
  async register(username: string, password = `password-${username}`): Promise<Res> {
    return this.post('/api/auth/register', { username, password });
  }
}
