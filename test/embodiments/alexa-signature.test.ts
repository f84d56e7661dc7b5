/**
 * Alexa request signatures as Amazon requires them (src/embodiments/alexa/verify.ts), with a certificate
 * authority made for the test by openssl: a root, an intermediate CA and a leaf for echo-api.amazon.com,
 * signing requests the way Alexa does. First through the HTTP route — the Alexa routes mounted on a
 * Fastify of their own, given the test CA instead of Amazon's chain and Node's roots, over the test
 * database's agents —, then check by check on the verifier. The refusals that need no certificate go
 * through the live server in alexa.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { startTestApp, type TestApp } from '../helpers/server.ts';
import { agentCallers, importFixture } from '../agents/api-helpers.ts';
import { agent, endpoint } from '../agents/agent-builder.ts';
import { alexaRoutes } from '../../src/embodiments/alexa/routes.ts';
import { AlexaVerificationError, checkChainUrl, createAlexaVerifier, fetchChainOverHttps, type AlexaRequestToVerify } from '../../src/embodiments/alexa/verify.ts';
import { speakable } from '../../src/embodiments/alexa/envelope.ts';

const CHAIN_URL = 'https://s3.amazonaws.com/echo.api/echo-api-cert-12.pem';
const DAY_MS = 86_400_000;

/** PEM texts and keys made by openssl in a temp folder. */
interface TestPki {
  root: string;
  /** leaf (echo-api.amazon.com) + intermediate CA + root: what Amazon serves. */
  chain: string;
  leafKey: string;
  /** A leaf for another name, same CA. */
  wrongName: string;
  /** An echo-api.amazon.com certificate issued by an ordinary (non-CA) certificate of the same CA. */
  forged: string;
  forgedKey: string;
}

function makePki(dir: string): TestPki {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const read = (file: string) => readFileSync(path.join(dir, file), 'utf8');
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'root.key', '-out', 'root.pem', '-days', '3', '-subj', '/CN=Test Root', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign');
  const issue = (name: string, out: string, issuer: string, ext: string) => {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${out}.key`, '-out', `${out}.csr`, '-subj', `/CN=${name}`);
    writeFileSync(path.join(dir, `${out}.ext`), ext);
    ssl('x509', '-req', '-in', `${out}.csr`, '-CA', `${issuer}.pem`, '-CAkey', `${issuer}.key`, '-CAcreateserial', '-out', `${out}.pem`, '-days', '1', '-extfile', `${out}.ext`);
  };
  issue('Test Intermediate', 'mid', 'root', 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n');
  issue('echo-api.amazon.com', 'leaf', 'mid', 'subjectAltName=DNS:echo-api.amazon.com\n');
  issue('echo-api.evil.example', 'other', 'mid', 'subjectAltName=DNS:echo-api.evil.example\n');
  issue('echo-api.amazon.com', 'forged', 'other', 'subjectAltName=DNS:echo-api.amazon.com\n');
  const [root, mid] = [read('root.pem'), read('mid.pem')];
  return {
    root,
    chain: read('leaf.pem') + mid + root,
    leafKey: read('leaf.key'),
    wrongName: read('other.pem') + mid + root,
    forged: read('forged.pem') + read('other.pem') + mid + root,
    forgedKey: read('forged.key'),
  };
}

/** A launch request as Alexa sends it: spacing and non-ASCII text, so that only the raw bytes verify. */
const launchBytes = (at: number) =>
  Buffer.from(`{"version": "1.0",  "session": {"new": true},\n "request": {"type": "LaunchRequest", "requestId": "amzn1.echo-api.request.1", "timestamp": "${new Date(at).toISOString().replace(/\.\d+Z$/, 'Z')}", "locale": "fr-FR", "note": "café"}}`);

describe('Alexa request signatures (a CA of our own, signed like Amazon\'s)', () => {
  let dir: string;
  let pki: TestPki;
  let t: TestApp;
  let agentId: string;
  const signed = (bytes: Buffer, key = pki.leafKey) => sign('sha256', bytes, key).toString('base64');

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'alexa-ca-'));
    pki = makePki(dir);
    t = await startTestApp({ RATE_LIMIT_MAX: '100000' });
    const { alice } = await agentCallers(t);
    agentId = await importFixture(alice, JSON.stringify(agent([endpoint('EP', 'noop', [])], [], { name: 'Ada' })));
    await alice.req('PATCH', `/api/agents/${agentId}`, { embodiments: { alexa: { enabled: true }, chat_model: 'echo' } });
  });
  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The Alexa routes with the signature check on, trusting `roots`, reading chains from `chainOf`. */
  async function mount(chainOf: () => string, roots: string[], now = () => Date.now()): Promise<FastifyInstance> {
    const app = Fastify();
    await app.register(alexaRoutes, {
      embodiments: t.services.embodiments,
      defaultAgentDomain: t.config.agentDomains.default,
      prodAgentDomain: t.config.agentDomains.prod,
      checkCsrf: () => false,
      alexaVerifySignature: true,
      now,
      alexaCertificates: { fetchChain: async () => chainOf(), trustedRoots: roots },
    });
    await app.ready();
    return app;
  }
  const send = (app: FastifyInstance, body: Buffer, headers: Record<string, string>) =>
    app.inject({ method: 'POST', url: `/agents/${agentId}/alexa`, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, payload: body });

  test('through the route: a signed request is answered; each failed check is a 400 naming it', async () => {
    const app = await mount(() => pki.chain, [pki.root]);
    const later = await mount(() => pki.chain, [pki.root], () => Date.now() + 10 * DAY_MS);
    const untrusted = await mount(() => pki.chain, []);
    const forged = await mount(() => pki.forged, [pki.root]);
    try {
      const body = launchBytes(Date.now());
      const ok = await send(app, body, { signaturecertchainurl: CHAIN_URL, 'signature-256': signed(body) });
      assert.equal(ok.statusCode, 200, ok.body);
      assert.equal(ok.json().response.outputSpeech.text, 'Hello, I am Ada. What would you like to know?');
      const tampered = Buffer.from(body.toString('utf8').replace('café', 'cafe'));
      const stale = launchBytes(Date.now() - 151_000);
      const future = launchBytes(Date.now() + 10 * DAY_MS);
      const forgedBody = launchBytes(Date.now());
      for (const [target, bytes, headers, why] of [
        [app, tampered, { signaturecertchainurl: CHAIN_URL, 'signature-256': signed(body) }, /signature does not match/],
        [app, body, { signaturecertchainurl: CHAIN_URL, 'signature-256': signed(Buffer.from('other')) }, /signature does not match/],
        [app, stale, { signaturecertchainurl: CHAIN_URL, 'signature-256': signed(stale) }, /150 seconds/],
        [app, body, { signaturecertchainurl: 'https://s3.amazonaws.com/not.echo/c.pem', 'signature-256': signed(body) }, /echo\.api/],
        [app, body, { signaturecertchainurl: 'http://s3.amazonaws.com/echo.api/c.pem', 'signature-256': signed(body) }, /https/],
        [app, body, { signaturecertchainurl: 'https://s3.amazonaws.com.evil.example/echo.api/c.pem', 'signature-256': signed(body) }, /s3\.amazonaws\.com/],
        [later, future, { signaturecertchainurl: CHAIN_URL, 'signature-256': signed(future) }, /not valid now/],
        [untrusted, body, { signaturecertchainurl: CHAIN_URL, 'signature-256': signed(body) }, /trusted root/],
        [forged, forgedBody, { signaturecertchainurl: CHAIN_URL, 'signature-256': signed(forgedBody, pki.forgedKey) }, /not a CA/],
      ] as const) {
        const res = await send(target, bytes, headers);
        assert.equal(res.statusCode, 400, `${why}: ${res.body}`);
        assert.match(res.json().error, /^Not a verified Alexa request: /);
        assert.match(res.json().error, why);
      }
    } finally {
      await Promise.all([app, later, untrusted, forged].map((a) => a.close()));
    }
  });

  const verifier = (pem: () => string, now = Date.now(), roots = [pki.root]) => createAlexaVerifier({ fetchChain: async () => pem(), trustedRoots: roots, now: () => now });
  const request = (over: Partial<AlexaRequestToVerify> = {}): AlexaRequestToVerify => {
    const rawBody = launchBytes(Date.now());
    return { certChainUrl: CHAIN_URL, signature: signed(rawBody), rawBody, timestamp: new Date().toISOString(), ...over };
  };
  const refuse = (v: ReturnType<typeof verifier>, r: AlexaRequestToVerify, why: RegExp) =>
    assert.rejects(v.verify(r), (e: unknown) => e instanceof AlexaVerificationError && why.test(e.message));

  test('the chain is fetched once per URL, also by 20 requests at once, and again once its leaf expired', async () => {
    let fetched = 0;
    let now = Date.now();
    const v = createAlexaVerifier({ fetchChain: async () => (fetched++, pki.chain), trustedRoots: [pki.root], now: () => now });
    await Promise.all(Array.from({ length: 20 }, () => v.verify(request())));
    await v.verify(request());
    assert.equal(fetched, 1);
    now += 2 * DAY_MS;
    await refuse(v, request({ timestamp: new Date(now).toISOString() }), /not valid now/);
    assert.equal(fetched, 2, 'an expired cache entry is fetched again');
  });

  test('each check refuses what it must', async () => {
    const body = launchBytes(Date.now());
    await refuse(verifier(() => pki.chain), request({ rawBody: Buffer.from(body.toString().replace('LaunchRequest', 'IntentRequest')), signature: signed(body) }), /does not match/);
    await refuse(verifier(() => pki.wrongName), request(), /not for echo-api\.amazon\.com/);
    await refuse(verifier(() => pki.chain, Date.now(), []), request(), /trusted root/);
    await refuse(verifier(() => pki.forged), request({ signature: signed(body, pki.forgedKey), rawBody: body }), /not a CA/);
    await refuse(verifier(() => pki.chain.split('-----END CERTIFICATE-----')[0] + '-----END CERTIFICATE-----\n' + pki.root), request(), /broken/);
    await refuse(verifier(() => pki.chain, Date.now() + 10 * DAY_MS), request({ timestamp: new Date(Date.now() + 10 * DAY_MS).toISOString() }), /not valid now/);
    await refuse(verifier(() => pki.chain), request({ timestamp: new Date(Date.now() + 151_000).toISOString() }), /150 seconds/);
    await refuse(verifier(() => pki.chain), request({ timestamp: 'yesterday' }), /no valid timestamp/);
    await refuse(verifier(() => 'not a pem'), request(), /empty/);
    await refuse(createAlexaVerifier({ fetchChain: () => Promise.reject(new Error('HTTP 403')), trustedRoots: [pki.root], now: Date.now }), request(), /could not be read: HTTP 403/);
    await refuse(verifier(() => pki.chain), request({ signature: undefined }), /Missing Signature-256/);
  });

  test('the chain download: the PEM text; a non-2xx, a redirect or more than 64 KiB is an error', async () => {
    const server = http.createServer((req, res) => {
      if (req.url === '/chain.pem') return void res.end(pki.chain);
      if (req.url === '/moved') return void res.writeHead(302, { location: '/chain.pem' }).end();
      if (req.url === '/huge') return void res.end('x'.repeat(200_000));
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      assert.equal(await fetchChainOverHttps(`${base}/chain.pem`), pki.chain);
      await assert.rejects(fetchChainOverHttps(`${base}/gone`), /HTTP 404/);
      await assert.rejects(fetchChainOverHttps(`${base}/moved`));
      await assert.rejects(fetchChainOverHttps(`${base}/huge`), /too large/);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  test('chain URLs as Amazon lists them', () => {
    assert.equal(checkChainUrl('https://s3.amazonaws.com/echo.api/echo-api-cert.pem'), 'https://s3.amazonaws.com/echo.api/echo-api-cert.pem');
    assert.equal(checkChainUrl('https://s3.amazonaws.com:443/echo.api/../echo.api/echo-api-cert.pem'), 'https://s3.amazonaws.com/echo.api/echo-api-cert.pem');
    assert.equal(checkChainUrl('https://S3.AMAZONAWS.COM/echo.api/x.pem'), 'https://s3.amazonaws.com/echo.api/x.pem');
    for (const bad of ['https://s3.amazonaws.com/EcHo.aPi/x.pem', 'https://s3.amazonaws.com/invalid.path/x.pem', 'https://s3.amazonaws.com:563/echo.api/x.pem', 'http://s3.amazonaws.com/echo.api/x.pem', 'https://notamazon.com/echo.api/x.pem', 'not a url']) {
      assert.throws(() => checkChainUrl(bad), AlexaVerificationError, bad);
    }
  });

  test('speakable text: no markdown, no links\' targets, no code, headings end as sentences, bounded', () => {
    assert.equal(speakable('# Title\n**Bold** and _it_ [a link](https://x.example) `code`\n```js\nx()\n```\nsee https://y.example.'), 'Title. Bold and it a link code see.');
    assert.equal(speakable('- snake_case_name stays, 2*3*4 too, (https://a.example/b) ~~gone~~'), 'snake_case_name stays, 2*3*4 too, gone');
    const long = speakable('Sentence. '.repeat(1000));
    assert.ok(long.length <= 6000 && long.endsWith('.'));
  });
});
