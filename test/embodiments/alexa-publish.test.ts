/**
 * Publishing an agent as an Alexa skill (`POST /agents/:id/alexa/publish`; research/smythos.md §7
 * "Alexa") against a live server, with Amazon's Skill Management API played by a local HTTP server: the
 * test's `fetch` sends what the server addresses to https://api.amazonalexa.com there (no internet).
 * What Orrery sends (manifest, interaction model, the owner's token), and Amazon's refusals and
 * unreachability as 502s. Who may publish and missing credentials: alexa.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { agentCallers, importFixture, type AgentCallers } from '../agents/api-helpers.ts';
import { agent, endpoint } from '../agents/agent-builder.ts';
import { SMAPI_BASE } from '../../src/embodiments/alexa/publish.ts';

/** One request the fake SMAPI received. */
interface SmapiCall {
  method: string;
  path: string;
  authorization: string | undefined;
  body: any;
}

describe('Alexa publish through SMAPI', () => {
  let t: TestServer;
  let u: AgentCallers;
  let id: string;
  let smapi: http.Server;
  let smapiUrl: string;
  const calls: SmapiCall[] = [];
  /** How the fake answers the next calls: status and JSON body, or `drop` (the connection is cut). */
  let answers: ({ status: number; body: unknown } | 'drop')[] = [];
  const realFetch = globalThis.fetch;

  before(async () => {
    smapi = http.createServer((req, res) => {
      let text = '';
      req.on('data', (chunk) => (text += chunk));
      req.on('end', () => {
        calls.push({ method: req.method!, path: req.url!, authorization: req.headers.authorization, body: text ? JSON.parse(text) : undefined });
        const answer = answers.shift() ?? { status: 500, body: { message: 'unexpected call' } };
        if (answer === 'drop') return void req.socket.destroy();
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) => smapi.listen(0, '127.0.0.1', resolve));
    smapiUrl = `http://127.0.0.1:${(smapi.address() as AddressInfo).port}`;
    globalThis.fetch = (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      return realFetch(url.startsWith(SMAPI_BASE) ? smapiUrl + url.slice(SMAPI_BASE.length) : input, init);
    };
    t = await startTestServer({ RATE_LIMIT_MAX: '100000' });
    u = await agentCallers(t);
    id = await importFixture(u.alice, JSON.stringify(agent([endpoint('EP', 'noop', [])], [], { name: 'Ada Lovelace 2' })));
  });
  after(async () => {
    globalThis.fetch = realFetch;
    await t.close();
    await new Promise<void>((resolve) => smapi.close(() => resolve()));
  });

  test('the skill is created with the agent\'s manifest and interaction model, with the owner\'s token, while Alexa is still off', async () => {
    calls.length = 0;
    answers = [{ status: 202, body: { skillId: 'amzn1.ask.skill.42' } }, { status: 202, body: {} }];
    const res = await u.alice.post(`/agents/${id}/alexa/publish`, { accessToken: 'Atza|owner-token', vendorId: 'M2ABCDEF' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const endpointUrl = `${t.url}/agents/${id}/alexa`;
    assert.deepEqual(res.body, { skill_id: 'amzn1.ask.skill.42', invocation_name: 'ada lovelace', endpoint: endpointUrl });
    const [create, model] = calls;
    assert.equal(create!.method, 'POST');
    assert.equal(create!.path, '/v1/skills');
    assert.equal(create!.authorization, 'Atza|owner-token', 'SMAPI takes the LWA access token as the Authorization header');
    assert.equal(create!.body.vendorId, 'M2ABCDEF');
    assert.deepEqual(create!.body.manifest.apis, { custom: { endpoint: { uri: endpointUrl, sslCertificateType: 'Trusted' } } });
    assert.equal(create!.body.manifest.publishingInformation.locales['en-US'].name, 'Ada Lovelace 2');
    assert.equal(model!.method, 'PUT');
    assert.equal(model!.path, '/v1/skills/amzn1.ask.skill.42/stages/development/interactionModel/locales/en-US');
    const language = model!.body.interactionModel.languageModel;
    assert.equal(language.invocationName, 'ada lovelace');
    assert.deepEqual(language.intents.find((i: { name: string }) => i.name === 'SmythosQuery').slots, [{ name: 'searchQuery', type: 'AMAZON.SearchQuery' }]);
    assert.deepEqual(language.intents.map((i: { name: string }) => i.name).sort(), ['AMAZON.CancelIntent', 'AMAZON.HelpIntent', 'AMAZON.StopIntent', 'SmythosQuery']);
  });

  test('Amazon\'s refusal is a 502 with Amazon\'s message; so is an answer without a skill id and a cut connection', async () => {
    const publish = () => u.admin.post(`/agents/${id}/alexa/publish`, { accessToken: 'Atza|expired', vendorId: 'M2ABCDEF' });
    answers = [{ status: 401, body: { message: 'Token is invalid or expired.' } }];
    let res = await publish();
    assert.equal(res.status, 502);
    assert.deepEqual(res.body, { error: 'Amazon refused (HTTP 401): Token is invalid or expired.' });
    answers = [{ status: 202, body: {} }];
    res = await publish();
    assert.equal(res.status, 502);
    assert.equal(res.body.error, 'Amazon created no skill id');
    answers = ['drop'];
    res = await publish();
    assert.equal(res.status, 502);
    assert.match(res.body.error, /^Amazon's Skill Management API could not be reached: /);
    answers = [{ status: 202, body: { skillId: 'amzn1.ask.skill.43' } }, { status: 400, body: { message: 'Invocation name is invalid', violations: [] } }];
    res = await publish();
    assert.equal(res.status, 502);
    assert.equal(res.body.error, 'Amazon refused (HTTP 400): Invocation name is invalid');
  });
});
