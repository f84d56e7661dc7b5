/**
 * Bot test helpers: the bot run in this process against a real server (fast, its log in memory), a
 * real HTTP proxy on 127.0.0.1 that can fail chosen requests, and a fake OpenAI-compatible model.
 */
import http from 'node:http';
import { mkdtempSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createConnectBot, type RetryOptions } from '../../src/connect/bot.ts';
import { resolveConnectOptions } from '../../src/connect/options.ts';
import { createEchoProvider } from '../../src/llm/echo/provider.ts';
import type { LlmProvider } from '../../src/llm/types.ts';
import { Client } from '../helpers/client.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';

/** A bot running in this process. */
export interface InProcessBot {
  /** Every log line so far. */
  lines: string[];
  /** Exit codes the bot asked for (it never ends the test process). */
  exits: number[];
  stateFile: string;
  /** Resolves when `run()` returns. */
  done: Promise<void>;
  /** SIGTERM as the process would get it: clear presence, stop; resolves when stopped. */
  stop(): Promise<void>;
  /** The log, for assertion messages. */
  log(): string;
}

const running = new Set<InProcessBot>();

/** Stop every in-process bot still running (for `after`: a failed test must not leave one holding the process open). */
export async function stopAllBots(): Promise<void> {
  await Promise.all([...running].map((bot) => bot.stop()));
}

/** A fresh state file path in its own temp folder. */
export function tempStateFile(): string {
  return path.join(mkdtempSync(path.join(tmpdir(), 'orrery-connect-')), 'state.json');
}

/**
 * Start `createConnectBot` with `flags` as `orrery connect` would parse them (echo model unless
 * `llm` is given; retries start at 20 ms so failure paths take milliseconds).
 */
export function startInProcessBot(
  flags: Record<string, string | boolean>,
  options: { llm?: LlmProvider; retry?: RetryOptions } = {},
): InProcessBot {
  const o = resolveConnectOptions({ model: 'echo', stateFile: tempStateFile(), ...flags }, {});
  const lines: string[] = [];
  const exits: number[] = [];
  const bot = createConnectBot({
    options: o,
    llm: options.llm ?? createEchoProvider(),
    write: (line) => lines.push(line),
    exit: (code) => exits.push(code),
    retry: { minMs: 20, ...options.retry },
  });
  const done = bot.run();
  const handle: InProcessBot = {
    lines,
    exits,
    stateFile: bot.stateFile,
    done,
    async stop() {
      running.delete(handle);
      await bot.stop('SIGTERM');
      await done;
    },
    log: () => lines.join('\n'),
  };
  running.add(handle);
  return handle;
}

/** Wait until a log line matches `re`; the timeout message carries the whole log. */
export function waitForLine(bot: { lines: string[] }, re: RegExp, timeoutMs = 10_000): Promise<string> {
  return waitFor(() => bot.lines.find((l) => re.test(l)), { timeoutMs, what: `a log line ${re}\n${bot.lines.join('\n')}` });
}

/**
 * Wait until the bot's state file has its cursor at or past message `id`: proof that the bot has
 * handled everything up to it (the cursor moves only after a message is handled).
 */
export function waitForCursorPast(stateFile: string, id: number, timeoutMs = 10_000): Promise<boolean> {
  return waitFor(
    () => {
      const cursor = (JSON.parse(readFileSync(stateFile, 'utf8')) as { cursor: string | null }).cursor ?? '';
      return Number(cursor.split('|')[1]) >= id;
    },
    { timeoutMs, what: `the cursor in ${stateFile} to pass message ${id}` },
  );
}

/** Shared messages (newest page) whose content matches `re`, read by `reader`. */
export async function sharedMatching(reader: Client, re: RegExp): Promise<Array<{ id: number; username: string; content: string }>> {
  const res = await reader.get('/api/runtime/feed?limit=100');
  return (res.body.messages as Array<{ id: number; username: string; content: string }>).filter((m) => re.test(m.content));
}

/** A request the proxy saw (its body read in full). */
export interface SeenRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** `performance.now()` when it arrived, ms. */
  at: number;
}

/** What {@link FaultProxy}'s `fault` hook returns: answer this instead, optionally after forwarding. */
export interface Fault {
  status: number;
  body?: unknown;
  /** Forward the request first, then answer with the fault (the upstream acted; its answer is lost). */
  forward?: boolean;
}

/** A real HTTP proxy in front of the test server. */
export interface FaultProxy {
  url: string;
  seen: SeenRequest[];
  /** Decide per request; `undefined` forwards it unchanged. Replaceable at any time. */
  fault: (request: SeenRequest) => Fault | undefined;
  close(): Promise<void>;
}

/** Start a proxy on 127.0.0.1 forwarding to `target` (streams, such as SSE, pass through). */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const forward = (seen: SeenRequest, res?: http.ServerResponse) =>
    new Promise<void>((resolve, reject) => {
      const headers = { ...seen.headers, host: upstream.host };
      const out = http.request({ host: upstream.hostname, port: upstream.port, method: seen.method, path: seen.path, headers }, (up) => {
        if (res) {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
          res.once('close', () => up.destroy());
        } else up.resume();
        up.once('end', resolve);
        up.once('error', reject);
      });
      out.once('error', reject);
      out.end(seen.body);
    });
  const proxy: FaultProxy = {
    url: '',
    seen: [],
    fault: () => undefined,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const seen: SeenRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString(), at: performance.now() };
      proxy.seen.push(seen);
      const fault = proxy.fault(seen);
      if (!fault) {
        forward(seen, res).catch(() => res.destroy());
        return;
      }
      void (fault.forward ? forward(seen) : Promise.resolve())
        .catch(() => undefined)
        .then(() => res.writeHead(fault.status, { 'content-type': 'application/json' }).end(JSON.stringify(fault.body ?? { error: `injected ${fault.status}` })));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}

/** A fake OpenAI-compatible model (Responses API) on 127.0.0.1. */
export interface FakeModel {
  /** Base URL for `--openai-base-url`. */
  url: string;
  /** Every request's `<sender>: <content>` input, in order. */
  inputs: string[];
  /** Every request's path, in order (`/v1/responses`, or under the base's own path). */
  paths: string[];
  /** Statuses to answer with before answering normally, consumed one per request. */
  failures: number[];
  close(): Promise<void>;
}

/** Start the fake model: it answers `model: <input>` on any path, or the next queued failure status. */
export async function startFakeModel(): Promise<FakeModel> {
  const model: FakeModel = { url: '', inputs: [], paths: [], failures: [], close: async () => undefined };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => {
      const input = String(JSON.parse(body).input?.[1]?.content?.[0]?.text ?? '');
      model.inputs.push(input);
      model.paths.push(req.url ?? '');
      const failure = model.failures.shift();
      if (failure) {
        res.writeHead(failure, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `injected ${failure}` } }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({ id: 'r', object: 'response', output: [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: `model: ${input}` }] }] }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  model.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  model.close = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return model;
}

/** What the in-process bot suites run against: a server, the proxy bots talk through, and a web user. */
export interface BotWorld {
  s: TestServer;
  proxy: FaultProxy;
  /** A signed-in web user (`alice`) who posts triggers. */
  alice: Client;
}

/**
 * Start a server without a post cooldown (tests inject their own 429s and must not meet the
 * server's), a fault proxy in front of it (its close() also ends the bots' kept-alive connections),
 * and `alice`.
 */
export async function startBotWorld(): Promise<BotWorld> {
  const s = await startTestServer({ RUNTIME_SHARED_MIN_GAP_MS: '0' });
  const proxy = await startFaultProxy(s.url);
  const alice = new Client(s.url);
  await alice.register('alice');
  return { s, proxy, alice };
}

/** Stop every bot, then the proxy, then the server. */
export async function stopBotWorld(world: BotWorld): Promise<void> {
  await stopAllBots();
  await world.proxy.close();
  await world.s.close();
}
