/**
 * A small HTTP client over Node's fetch that keeps a cookie jar and the CSRF token, like a browser.
 */

/** A decoded response. */
export interface Res<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** Client bound to a base URL; remembers cookies and the CSRF token it is handed. */
export class Client {
  cookies = new Map<string, string>();
  csrf: string | undefined;
  bearer: string | undefined;

  constructor(readonly base: string) {}

  /** Send `method path` with an optional JSON body and extra headers. */
  async req<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Res<T>> {
    const h: Record<string, string> = { ...headers };
    if (body !== undefined && !h['content-type']) h['content-type'] = 'application/json';
    if (this.cookies.size) h.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (this.csrf && method !== 'GET' && !('x-csrf-token' in h)) h['x-csrf-token'] = this.csrf;
    if (this.bearer && !h.authorization) h.authorization = `Bearer ${this.bearer}`;
    const response = await fetch(this.base + path, {
      method,
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
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
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
