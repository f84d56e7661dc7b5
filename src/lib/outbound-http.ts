/**
 * Outbound HTTP for things users configure (APICall today): one request with redirects followed by hand,
 * a deadline, a response size cap, and a guard against reaching the server's own network. The guard
 * checks the address a connection is actually made to — IP literals before anything is sent, names in
 * the DNS lookup the socket uses — so a public-looking name that resolves to 127.0.0.1 (DNS rebinding)
 * is refused, and every redirect hop is checked again. Private, loopback, link-local, unique-local,
 * CGNAT, multicast, broadcast, reserved and unspecified addresses (IPv4, IPv6 and IPv4-mapped IPv6) are
 * refused unless the policy allows private networks; ipaddr.js classifies them. No proxy and no OAuth.
 */
import { lookup as dnsLookup } from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { Readable } from 'node:stream';
import ipaddr from 'ipaddr.js';

/** What a caller may reach. `context.http` of a component run is one (`OutboundHttpPolicy`). */
export interface OutboundPolicy {
  /** When true every address is allowed; otherwise only public unicast ones. */
  allowPrivateNetwork: boolean;
  /**
   * Decides alone, when given, whether `address` (the IP a socket would connect to) may be reached for
   * `host` (the URL's host name) — tests allow a first local hop and block where it redirects.
   */
  allow?: (address: string, host: string) => boolean;
  /** Redirects followed before giving up (default 5). */
  maxRedirects?: number;
  /** Largest response body read, bytes, after decompression (default 16 MiB). */
  maxResponseBytes?: number;
}

/** One request. `timeoutMs` covers the whole exchange, redirects and body included. */
export interface OutboundRequest {
  method: string;
  url: string;
  headers?: Record<string, string | string[]>;
  body?: string | Uint8Array;
  timeoutMs: number;
  /** Aborts the request (a cancelled run). */
  signal?: AbortSignal;
}

/** The final response after redirects. Header names are lower-case (Node's `IncomingMessage.headers`). */
export interface OutboundResponse {
  status: number;
  statusText: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** The URL that answered (after redirects). */
  url: string;
}

/** The policy refused an address; thrown before any connection to it is made. */
export class OutboundBlockedError extends Error {
  readonly address: string;
  readonly host: string;
  constructor(address: string, host: string, range: string) {
    super(`Refused to connect to ${address} (${range} address) for ${host}: requests to private networks are not allowed`);
    this.name = 'OutboundBlockedError';
    this.address = address;
    this.host = host;
  }
}

/** The request passed its `timeoutMs`. The message is axios's, which SmythOS users see from APICall. */
export class OutboundTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`timeout of ${timeoutMs}ms exceeded`);
    this.name = 'OutboundTimeoutError';
  }
}

const DEFAULT_MAX_REDIRECTS = 5;
/** Sent unless the caller sets one: several public APIs refuse requests without a User-Agent. */
const USER_AGENT = 'Orrery (agent APICall)';
const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * The ipaddr.js range of `address` (`unicast` for public addresses; `loopback`, `private`, `linkLocal`,
 * `uniqueLocal`, `carrierGradeNat`, `multicast`, `unspecified`, `reserved`, `6to4`, …). IPv4-mapped IPv6
 * is classified as the IPv4 address it carries. An unparsable address is `invalid`.
 */
export function addressRange(address: string): string {
  try {
    return ipaddr.process(address.replace(/^\[|\]$/g, '')).range();
  } catch {
    return 'invalid';
  }
}

/** Whether `policy` lets a socket connect to `address` for `host`. */
export function isAddressAllowed(policy: OutboundPolicy, address: string, host: string): boolean {
  if (policy.allow) return policy.allow(address, host);
  return policy.allowPrivateNetwork || addressRange(address) === 'unicast';
}

function check(policy: OutboundPolicy, address: string, host: string): void {
  if (!isAddressAllowed(policy, address, host)) throw new OutboundBlockedError(address, host, addressRange(address));
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A `dns.lookup` drop-in for sockets that fails when any address the name resolves to is refused. */
function guardedLookup(policy: OutboundPolicy) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      try {
        for (const a of addresses) check(policy, a.address, hostname);
      } catch (blocked) {
        return callback(blocked as NodeJS.ErrnoException, '');
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), '');
      callback(null, first.address, first.family);
    });
  };
}

/**
 * Keep-alive agents with the guard built in, one per protocol and policy kind: a socket opened while
 * private networks were allowed must never be reused by a request that forbids them. A policy with its
 * own `allow` gets a fresh connection each time.
 */
const agents = new Map<string, http.Agent>();
function agentFor(protocol: string, policy: OutboundPolicy): http.Agent {
  const lookup = guardedLookup(policy);
  const Agent = protocol === 'https:' ? https.Agent : http.Agent;
  if (policy.allow) return new Agent({ keepAlive: false, lookup } as http.AgentOptions);
  const key = `${protocol}${policy.allowPrivateNetwork}`;
  let agent = agents.get(key);
  if (!agent) {
    agent = new Agent({ keepAlive: true, lookup } as http.AgentOptions);
    agents.set(key, agent);
  }
  return agent;
}

/**
 * Sends `req`, following up to `maxRedirects` redirects (303, and 301/302 after a POST, become a GET
 * without body, as browsers and axios do; `authorization` and `cookie` are dropped when the host
 * changes). Any status is returned; deciding what is an error is the caller's business.
 * @throws OutboundBlockedError (refused address, before connecting), OutboundTimeoutError, the abort
 *   reason when `req.signal` fires, `Unsupported protocol <p>`, `Maximum number of redirects exceeded`,
 *   `Response body larger than <n> bytes`, and Node's socket errors (`connect ECONNREFUSED …`).
 */
export async function outboundRequest(req: OutboundRequest, policy: OutboundPolicy): Promise<OutboundResponse> {
  const timeout = AbortSignal.timeout(req.timeoutMs);
  const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
  const maxRedirects = policy.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  let { method, body } = req;
  // The body decoder below handles these, and compressed answers are what most APIs send when asked.
  let headers: Record<string, string | string[]> = { ...(req.headers ?? {}) };
  const given = new Set(Object.keys(headers).map((name) => name.toLowerCase()));
  if (!given.has('accept-encoding')) headers['accept-encoding'] = 'gzip, deflate, br';
  if (!given.has('user-agent')) headers['user-agent'] = USER_AGENT;
  let url = new URL(req.url);
  try {
    for (let hop = 0; ; hop++) {
      const res = await send(method, url, headers, body, signal, policy);
      const location = res.headers.location;
      if (!REDIRECTS.has(res.status) || typeof location !== 'string') return res;
      if (hop >= maxRedirects) throw new Error('Maximum number of redirects exceeded');
      const next = new URL(location, url);
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
        method = method === 'HEAD' ? 'HEAD' : 'GET';
        body = undefined;
        headers = withoutKeys(headers, ['content-type', 'content-length']);
      }
      if (next.host !== url.host) headers = withoutKeys(headers, ['authorization', 'cookie', 'host']);
      url = next;
    }
  } catch (err) {
    if (timeout.aborted && !req.signal?.aborted) throw new OutboundTimeoutError(req.timeoutMs);
    if (req.signal?.aborted) throw req.signal.reason instanceof Error ? req.signal.reason : new Error(String(req.signal.reason ?? 'aborted'));
    throw err;
  }
}

function withoutKeys(headers: Record<string, string | string[]>, names: string[]): Record<string, string | string[]> {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !names.includes(k.toLowerCase())));
}

function send(
  method: string,
  url: URL,
  headers: Record<string, string | string[]>,
  body: string | Uint8Array | undefined,
  signal: AbortSignal,
  policy: OutboundPolicy,
): Promise<OutboundResponse> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return Promise.reject(new Error(`Unsupported protocol ${url.protocol}`));
  // A literal address never goes through the lookup: check it here, before a socket exists.
  const literal = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(literal)) {
    try {
      check(policy, literal, url.hostname);
    } catch (err) {
      return Promise.reject(err);
    }
  }
  signal.throwIfAborted();
  const client = url.protocol === 'https:' ? https : http;
  const maxBytes = policy.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  return new Promise<OutboundResponse>((resolve, reject) => {
    const request = client.request(url, { method, headers, signal, agent: agentFor(url.protocol, policy) }, (res) => {
      readBody(decoded(res), maxBytes).then(
        (data) => resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers: res.headers, body: data, url: url.href }),
        (err: unknown) => {
          res.destroy();
          reject(err);
        },
      );
    });
    request.on('error', reject);
    request.end(body);
  });
}

/** The body stream, decompressed when the server used gzip, deflate or br. */
function decoded(res: http.IncomingMessage): Readable {
  const encoding = String(res.headers['content-encoding'] ?? '').trim().toLowerCase();
  const inflater = encoding === 'gzip' || encoding === 'x-gzip' ? createGunzip() : encoding === 'deflate' ? createInflate() : encoding === 'br' ? createBrotliDecompress() : undefined;
  if (!inflater) return res;
  res.on('error', (err) => inflater.destroy(err));
  return res.pipe(inflater);
}

async function readBody(stream: Readable, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new Error(`Response body larger than ${maxBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
