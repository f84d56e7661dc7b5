/**
 * The bot's HTTP client for the Runtime Connect API: JSON in and out, a timeout per request, and
 * failures as {@link RuntimeHttpError} carrying the status and the server's `error` string.
 */

/** A non-2xx answer (or a network failure, `status` 0). */
export class RuntimeHttpError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: Record<string, unknown> | null,
  ) {
    super(message);
  }
  /** `retry_after_ms` of a 429, if given. */
  get retryAfterMs(): number | undefined {
    const v = this.body?.retry_after_ms;
    return typeof v === 'number' ? v : undefined;
  }
}

/** Client bound to one server and token. */
export function createRuntimeClient(baseUrl: string, token: string, timeoutMs = 15_000) {
  async function request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    let response: Response;
    try {
      response = await fetch(baseUrl + path, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new RuntimeHttpError((error as Error).message, 0, null);
    }
    const text = await response.text();
    let data: Record<string, unknown> | null = null;
    try {
      data = text ? (JSON.parse(text) as Record<string, unknown>) : null;
    } catch {
      /* not JSON */
    }
    if (!response.ok) {
      throw new RuntimeHttpError(typeof data?.error === 'string' ? data.error : `http ${response.status}`, response.status, data);
    }
    return data as T;
  }
  return { request, baseUrl, token };
}

/** The client's API. */
export type RuntimeClient = ReturnType<typeof createRuntimeClient>;
