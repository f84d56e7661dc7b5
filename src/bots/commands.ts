/**
 * The command executor (docs/bot-runner.md "Commands"): runs one matched command for one event and
 * answers the text the bot runner posts back as an `m.notice`. Pure of HTTP serving; a queue worker
 * calls it with the job's payload.
 *
 * - `echo`: the trigger's text (after the prefix or mention), else its body, else its content as JSON.
 * - `help`: the commands that apply to the sender (theirs and the global ones).
 * - `agent:<agentId>[@version]/<skill>`: `agent not found: <agentId>` until the agent engine exists.
 * - `http(s)://…`: POST `{event, args, botId, commandId}` to the webhook, signed (below), within
 *   BOT_WEBHOOK_TIMEOUT_MS; its answer's `text` (JSON) or its body (text) is the result.
 *
 * Failures a retry cannot fix (an unknown agent) are results with `ok: false`; failures a retry may
 * fix (a webhook down, slow or answering 5xx/4xx) throw, and the queue retries them.
 *
 * Webhook signature: `X-Orrery-Timestamp: <unix seconds>` and `X-Orrery-Signature: sha256=<hex>`,
 * the HMAC-SHA256 of `<timestamp>.<raw body>` keyed by the registration's webhook secret (shown once
 * at registration). Receivers recompute it and refuse stale timestamps (replays).
 */
import { createHmac } from 'node:crypto';
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Clock } from '../lib/clock.ts';
import { isPrivateAddress, parseCommand } from './filter.ts';
import type { CommandSpec, MatrixEvent } from './types.ts';

/** Longest result text posted back, characters. */
export const RESULT_MAX_CHARS = 4000;
/** Largest webhook answer read, bytes. */
const WEBHOOK_MAX_BYTES = 64 * 1024;

/** A job's payload: what the bot runner enqueues for one match. */
export interface CommandJob {
  event: MatrixEvent;
  /** The command string (as registered). */
  command: string;
  /** The registration and command that matched (uuids). */
  botId: string;
  commandId: string;
  /** The trigger's text for the command (match.ts `BotMatch.args`). */
  args: string;
}

/** What a command answers: the text to post back, and whether it succeeded. */
export interface CommandResult {
  ok: boolean;
  text: string;
}

/** One command that applies to a sender, for `help`. */
export interface ApplicableCommand {
  command: string;
  filter: Record<string, unknown>;
  global: boolean;
}

/** What the executor needs. */
export interface CommandDeps {
  clock: Clock;
  /** The commands that apply to `sender` (their registrations and the global ones). */
  commandsFor(sender: string): Promise<ApplicableCommand[]>;
  /** The HMAC key of a registration's webhook calls. */
  webhookSecret(botId: string): string;
  webhookTimeoutMs: number;
  /** BOT_WEBHOOK_ALLOW_PRIVATE: allow loopback/private targets (tests, trusted networks). */
  allowPrivateWebhooks: boolean;
  /**
   * Runs an agent skill for `agent:` commands as the registration's user (the agent runner);
   * absent: `agent not found`.
   */
  runAgentSkill?(call: {
    agentId: string;
    version: string | undefined;
    skill: string;
    /** The registration whose user the skill runs as; '' for `POST /_run-command` without one (its caller, the sender). */
    botId: string;
    sender: string;
    body: Record<string, unknown>;
  }): Promise<{ status: number; body: unknown; refused?: string }>;
}

/** The signature header value for `body` sent at `timestampS`: `sha256=<hex>`. */
export function signWebhook(secret: string, timestampS: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestampS}.${body}`).digest('hex')}`;
}

/** How a filter reads in `help`. */
export function describeFilter(filter: Record<string, unknown>): string {
  if (typeof filter.prefix === 'string') return `${filter.prefix} …`;
  if (filter.mention !== undefined) return filter.mention === true ? 'a mention of the bot runner' : `a mention of ${String(filter.mention)}`;
  if (typeof filter.regex === 'string') return `messages matching /${filter.regex}/${typeof filter.flags === 'string' ? filter.flags : ''}`;
  if (typeof filter.content_type === 'string') return `${String(filter.event_type)} "${filter.content_type}"`;
  return String(filter.event_type);
}

const clip = (text: string) => (text.length > RESULT_MAX_CHARS ? `${text.slice(0, RESULT_MAX_CHARS - 1)}…` : text);

/** Builds the executor. */
export function createCommandExecutor(deps: CommandDeps) {
  /** A lookup that refuses private addresses unless allowed (checked on what the name resolves to). */
  const guardedLookup: net.LookupFunction = (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 4);
      const list = addresses as unknown as dns.LookupAddress[];
      if (!deps.allowPrivateWebhooks && list.some((a) => isPrivateAddress(a.address))) {
        return callback(Object.assign(new Error(`webhook host ${hostname} resolves to a private address`), { code: 'EPRIVATE' }), '', 4);
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };

  /** POST `body` to `url`; resolves with the status and the (capped) answer. */
  function post(url: URL, body: string, headers: Record<string, string>): Promise<{ status: number; type: string; text: string }> {
    if (net.isIP(url.hostname.replace(/^\[|\]$/g, '')) && !deps.allowPrivateWebhooks && isPrivateAddress(url.hostname.replace(/^\[|\]$/g, ''))) {
      return Promise.reject(new Error(`webhook ${url.origin} is a private address`));
    }
    const client = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = client.request(url, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, lookup: guardedLookup, timeout: deps.webhookTimeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= WEBHOOK_MAX_BYTES) chunks.push(chunk);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      const timer = setTimeout(() => req.destroy(new Error(`webhook timed out after ${deps.webhookTimeoutMs} ms`)), deps.webhookTimeoutMs);
      req.on('timeout', () => req.destroy(new Error(`webhook timed out after ${deps.webhookTimeoutMs} ms`)));
      req.on('error', reject);
      req.on('close', () => clearTimeout(timer));
      req.end(body);
    });
  }

  async function webhook(spec: Extract<CommandSpec, { kind: 'webhook' }>, job: CommandJob): Promise<CommandResult> {
    const body = JSON.stringify({ event: job.event, args: job.args, botId: job.botId, commandId: job.commandId });
    const timestamp = Math.floor(deps.clock.now() / 1000);
    const answer = await post(new URL(spec.url), body, {
      'content-type': 'application/json',
      'user-agent': 'Orrery-Bots',
      'x-orrery-timestamp': String(timestamp),
      'x-orrery-signature': signWebhook(deps.webhookSecret(job.botId), timestamp, body),
      'x-orrery-event-id': job.event.event_id,
    });
    if (answer.status < 200 || answer.status >= 300) throw new Error(`webhook answered ${answer.status}${answer.text ? `: ${answer.text.slice(0, 200)}` : ''}`);
    let text = answer.text.trim();
    if (answer.type.includes('json')) {
      try {
        const json = JSON.parse(answer.text) as { text?: unknown; body?: unknown };
        if (typeof json.text === 'string') text = json.text;
        else if (typeof json.body === 'string') text = json.body;
      } catch {
        /* not JSON after all: the raw text */
      }
    }
    return { ok: true, text: clip(text || `webhook answered ${answer.status}`) };
  }

  function echo(job: CommandJob): CommandResult {
    const body = job.event.content?.body;
    const text = job.args || (typeof body === 'string' ? body : JSON.stringify(job.event.content ?? {}));
    return { ok: true, text: clip(text) };
  }

  async function help(job: CommandJob): Promise<CommandResult> {
    const commands = await deps.commandsFor(job.event.sender);
    if (commands.length === 0) return { ok: true, text: 'No commands apply to you.' };
    const lines = commands.map((c) => `- ${describeFilter(c.filter)} → ${c.command}${c.global ? ' (global)' : ''}`);
    return { ok: true, text: clip(`Commands for ${job.event.sender}:\n${lines.join('\n')}`) };
  }

  /**
   * An agent skill with the event as its body: `message` (the trigger's text, else the whole body),
   * `body`, `args`, `sender`, `room_id`, `event_id`. The answer's text is posted back: a string as is,
   * SmythOS's `{result}` shape unwrapped, anything else as JSON.
   */
  async function agent(spec: Extract<CommandSpec, { kind: 'agent' }>, job: CommandJob): Promise<CommandResult> {
    if (!deps.runAgentSkill) return { ok: false, text: `agent not found: ${spec.agentId}` };
    const content = (job.event.content ?? {}) as Record<string, unknown>;
    const text = typeof content.body === 'string' ? content.body : '';
    const answer = await deps.runAgentSkill({
      agentId: spec.agentId,
      version: spec.version,
      skill: spec.skill,
      botId: job.botId,
      sender: job.event.sender,
      body: { message: job.args || text, body: text, args: job.args, sender: job.event.sender, room_id: job.event.room_id, event_id: job.event.event_id },
    });
    // Someone else's owner-only agent is "not found" too: its existence is not the sender's business.
    if (answer.refused === 'no_agent' || answer.refused === 'forbidden' || answer.refused === 'unauthorized') return { ok: false, text: `agent not found: ${spec.agentId}` };
    if (answer.refused === 'no_version') return { ok: false, text: `agent ${spec.agentId} has no version ${spec.version ?? ''}` };
    const body = answer.body as { result?: unknown; error?: unknown } | string | null;
    const shown =
      typeof body === 'string' ? body : body && typeof body === 'object' && Object.keys(body).length === 1 && 'result' in body && typeof body.result === 'string' ? body.result : JSON.stringify(body);
    if (answer.status !== 200) return { ok: false, text: clip(`agent ${spec.agentId}/${spec.skill} failed (${answer.status}): ${shown}`) };
    return { ok: true, text: clip(shown) };
  }

  return {
    /**
     * Run `job`'s command.
     * @returns the text to post back (`ok: false` for failures a retry cannot fix)
     * @throws Error when a webhook fails, times out or is refused (the queue retries)
     */
    async run(job: CommandJob): Promise<CommandResult> {
      let spec: CommandSpec;
      try {
        spec = parseCommand(job.command, { allowPrivateWebhooks: deps.allowPrivateWebhooks });
      } catch (error) {
        return { ok: false, text: `invalid command ${JSON.stringify(job.command)}: ${(error as Error).message}` };
      }
      switch (spec.kind) {
        case 'echo':
          return echo(job);
        case 'help':
          return help(job);
        case 'agent':
          return agent(spec, job);
        case 'webhook':
          return webhook(spec, job);
      }
    },
  };
}

/** The executor's API. */
export type CommandExecutor = ReturnType<typeof createCommandExecutor>;
