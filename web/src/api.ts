/**
 * The browser's client for the platform API: same-origin fetch with the session cookie, the CSRF
 * token on state changes, and errors turned into readable sentences.
 */

/** A user as the API returns it. */
export interface ApiUser {
  user_id: string;
  localpart: string;
  display_name: string | null;
  is_admin: boolean;
  created_at: string;
}

/** An API failure with the server's own message. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    super(message);
  }
}

let csrfToken: string | undefined;

/** Remember the CSRF token the server handed out with the session. */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/**
 * Call the API; resolves with the JSON body or throws {@link ApiError} with a readable message.
 * `options.signal` cancels the request (long-polls); an aborted call rejects with the abort reason.
 */
export async function api<T>(method: string, path: string, body?: unknown, options: { signal?: AbortSignal } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (csrfToken && method !== 'GET') headers['x-csrf-token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      ...(options.signal ? { signal: options.signal } : {}),
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw new ApiError('Cannot reach the Orrery server. Is it running?', 0, null);
  }
  const data = (await response.json().catch(() => null)) as
    | { error?: string; issues?: Array<{ path: string; message: string }>; retry_after_ms?: number }
    | null;
  if (!response.ok) throw new ApiError(readable(response.status, data), response.status, data);
  return data as T;
}

function readable(
  status: number,
  data: { error?: string; issues?: Array<{ path: string; message: string }>; retry_after_ms?: number } | null,
): string {
  const base = data?.error ?? `Request failed (${status})`;
  const sentence = base.charAt(0).toUpperCase() + base.slice(1);
  if (data?.issues?.length) {
    return `${sentence}: ${data.issues.map((i) => `${i.path.replace(/^body\./, '')} ${i.message}`).join('; ')}.`;
  }
  if (data?.retry_after_ms) return `${sentence}. Try again in ${Math.ceil(data.retry_after_ms / 1000)} s.`;
  return sentence.endsWith('.') ? sentence : `${sentence}.`;
}
