/**
 * The chat page's client for `POST /agents/<id>/chat/stream` (src/embodiments/chat/routes.ts, events in
 * src/embodiments/chat/stream.ts): sends the history with the session cookie and its CSRF token when
 * signed in (nothing when not: a public agent), and reads the Server-Sent Events as they arrive.
 */
import { api, ApiError } from '../../api.ts';

/** One turn of the history. */
export interface ChatTurn {
  role: 'user' | 'assistant';
  content: string;
}

/** What the stream reports, in order; `done` or `error` last. */
export type ChatEvent =
  | { event: 'text'; data: { delta: string } }
  | { event: 'tool_call'; data: { id: string; name: string; arguments: string } }
  | { event: 'tool_result'; data: { id: string; name: string; text: string; isError: boolean } }
  | { event: 'done'; data: { text: string; model: string } }
  | { event: 'error'; data: { message: string } };

/** The agent's chat settings (`GET …/chat/config`). */
export interface ChatConfig {
  agent_id: string;
  name: string;
  intro: string | null;
  model: string;
  tools: { name: string; description: string }[];
}

/**
 * The session's CSRF token, or undefined when nobody is signed in. Asked before every message, not
 * remembered: the visitor may sign in (or out) in another tab while the page is open.
 */
function csrfToken(): Promise<string | undefined> {
  return api<{ csrf_token?: string }>('GET', '/api/auth/whoami').then(
    (r) => r.csrf_token,
    () => undefined,
  );
}

/** The agent's chat settings. @throws ApiError (401: sign in; 404: no such agent, or its chat is off) */
export function chatConfig(agentId: string): Promise<ChatConfig> {
  return api<ChatConfig>('GET', `/agents/${encodeURIComponent(agentId)}/chat/config`);
}

/** Splits SSE text into complete events (comments, i.e. keep-alives, skipped); returns the unfinished tail. */
export function parseEvents(buffer: string, emit: (event: ChatEvent) => void): string {
  const frames = buffer.split('\n\n');
  const tail = frames.pop() ?? '';
  for (const frame of frames) {
    const event = /^event: (.*)$/m.exec(frame)?.[1];
    const data = /^data: (.*)$/m.exec(frame)?.[1];
    if (event && data) emit({ event, data: JSON.parse(data) } as ChatEvent);
  }
  return tail;
}

/**
 * Ask for the next answer; `onEvent` gets each event as it arrives. Aborting `signal` hangs up, which
 * stops the agent on the server too.
 * @throws ApiError when refused before streaming (its status and the server's reason), when the server
 *   cannot be reached (status 0), or when the answer stops before `done`/`error` (status 0); the abort
 *   reason when aborted
 */
export async function streamChat(agentId: string, messages: ChatTurn[], onEvent: (event: ChatEvent) => void, signal?: AbortSignal): Promise<void> {
  const token = await csrfToken();
  const response = await fetch(`/agents/${encodeURIComponent(agentId)}/chat/stream`, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...(token ? { 'x-csrf-token': token } : {}) },
    body: JSON.stringify({ messages }),
    ...(signal ? { signal } : {}),
  }).catch((error: unknown) => {
    if (signal?.aborted) throw error;
    throw new ApiError('Cannot reach the Orrery server. Is it running?', 0, null);
  });
  if (!response.ok || !response.body) {
    const body = (await response.json().catch(() => null)) as { error?: string } | null;
    throw new ApiError(body?.error ?? `The chat answered ${response.status}.`, response.status, body);
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let ended = false;
  const emit = (event: ChatEvent) => {
    if (event.event === 'done' || event.event === 'error') ended = true;
    onEvent(event);
  };
  for (;;) {
    const { value, done } = await reader.read().catch((error: unknown) => {
      if (signal?.aborted) throw error;
      throw new ApiError('The connection to the server broke off mid-answer.', 0, null);
    });
    if (done) break;
    buffer = parseEvents(buffer + decoder.decode(value, { stream: true }), emit);
  }
  if (!ended) throw new ApiError('The answer was cut off before it ended.', 0, null);
}
