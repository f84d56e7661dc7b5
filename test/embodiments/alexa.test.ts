/**
 * Alexa (issue 12 item 5; research/smythos.md §7 "Alexa", §12 item 34) against a live server on both
 * databases: the request envelope (every request type, off by default), questions answered by the
 * conversation engine — with the `echo` model and with a fake OpenAI server that calls a skill —, a model
 * failure spoken, bad envelopes, the signature check's refusals that need no certificate, and who may
 * publish. The signature check with a certificate authority of our own is in alexa-signature.test.ts,
 * publishing through SMAPI in alexa-publish.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { captureLog, startTestServer, type TestServer } from '../helpers/server.ts';
import { startOpenAiFake, type OpenAiFake } from '../helpers/openai-fake.ts';
import { waitFor } from '../helpers/wait.ts';
import { agentCallers, importFixture, type AgentCallers } from '../agents/api-helpers.ts';
import { agent, endpoint } from '../agents/agent-builder.ts';

/** Ada: one AI-exposed skill `shout` answering `{said: <text>}`. */
const ada = agent(
  [
    { ...endpoint('EP', 'shout', ['text']), data: { endpoint: 'shout', method: 'POST', description: 'Shout the text back', ai_exposed: true } },
    { id: 'OUT', name: 'APIOutput', data: { format: 'minimal' }, inputs: ['said'], outputs: ['Output!'] },
  ],
  [['EP', 'body.text', 'OUT', 'said']],
  { name: 'Ada', behavior: 'You are Ada.' },
);
const launch = (timestamp = new Date().toISOString()) => ({ version: '1.0', session: { new: true }, request: { type: 'LaunchRequest', requestId: 'r1', timestamp, locale: 'en-US' } });
const intent = (name: string, slot?: Record<string, string>) => ({
  version: '1.0',
  session: { new: false },
  request: { type: 'IntentRequest', requestId: 'r2', timestamp: new Date().toISOString(), intent: { name, ...(slot ? { slots: { searchQuery: { name: 'searchQuery', ...slot } } } : {}) } },
});
const spoken = (text: string, end = false, reprompt = 'Is there anything else?') => ({
  version: '1.0',
  sessionAttributes: {},
  response: { outputSpeech: { type: 'PlainText', text }, ...(end ? {} : { reprompt: { outputSpeech: { type: 'PlainText', text: reprompt } } }), shouldEndSession: end },
});

describe('Alexa', () => {
  let t: TestServer;
  let fake: OpenAiFake;
  let u: AgentCallers;
  let id: string;
  const log = captureLog();
  const post = (path: string, body: unknown, headers: Record<string, string> = {}, server = t) =>
    fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const alexa = async (body: unknown, agentId = id) => {
    const res = await post(`/agents/${agentId}/alexa`, body);
    assert.equal(res.status, 200);
    return res.json();
  };

  before(async () => {
    fake = await startOpenAiFake();
    t = await startTestServer({ RATE_LIMIT_MAX: '100000', OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: 'sk-fake', LOG_LEVEL: 'warn' }, { logStream: log.stream });
    u = await agentCallers(t);
    id = await importFixture(u.alice, JSON.stringify(ada));
    await u.alice.req('PATCH', `/api/agents/${id}`, { embodiments: { chat_model: 'echo' } });
  });
  after(async () => {
    await t.close();
    await fake.close();
  });

  test('off by default: every request is answered "Alexa is not enabled for this agent" (§12 item 34)', async () => {
    assert.deepEqual(await alexa(launch()), spoken('Alexa is not enabled for this agent', true));
    assert.deepEqual(await alexa(intent('SmythosQuery', { value: 'hi' })), spoken('Alexa is not enabled for this agent', true));
    const res = await post('/alexa', launch(), { 'x-agent-id': id });
    assert.deepEqual(await res.json(), spoken('Alexa is not enabled for this agent', true));
  });

  test('switched on: launch, questions (value, else heardAs), help, stop, cancel, session end (§12 item 34)', async () => {
    assert.equal((await u.alice.req('PATCH', `/api/agents/${id}`, { embodiments: { alexa: { enabled: true } } })).status, 200);
    assert.deepEqual(await alexa(launch()), spoken('Hello, I am Ada. What would you like to know?', false, 'What would you like to know?'));
    // The echo model says the question back: the SmythOS phrase is added, the markdown dropped.
    assert.deepEqual(await alexa(intent('SmythosQuery', { value: 'what is **the** time' })), spoken('what is the time Return the response in speakable format'));
    assert.match((await alexa(intent('SmythosQuery', { heardAs: 'heard this' }))).response.outputSpeech.text, /^heard this Return/);
    assert.match((await alexa(intent('SmythosQuery', { value: '  ' }))).response.outputSpeech.text, /did not catch that/);
    assert.match((await alexa(intent('SmythosQuery'))).response.outputSpeech.text, /did not catch that/);
    assert.deepEqual(await alexa(intent('AMAZON.HelpIntent')), spoken('Ask Ada anything, for example: what can you do?'));
    assert.deepEqual(await alexa(intent('AMAZON.StopIntent')), spoken('Goodbye.', true));
    assert.deepEqual(await alexa(intent('AMAZON.CancelIntent')), spoken('Goodbye.', true));
    assert.deepEqual(await alexa({ version: '1.0', request: { type: 'SessionEndedRequest', reason: 'USER_INITIATED', timestamp: new Date().toISOString() } }), { version: '1.0', response: {} });
    assert.deepEqual(await alexa({ version: '1.0', request: { type: 'CanFulfillIntentRequest' } }), { version: '1.0', response: {} }, 'a type Orrery does not handle');
  });

  test('the original paths take the agent from X-AGENT-ID; Alexa\'s own content type (charset) is read', async () => {
    for (const path of ['/alexa', '/emb/alexa']) {
      const res = await post(path, launch(), { 'x-agent-id': id, 'content-type': 'application/json; charset=utf-8' });
      assert.equal(res.status, 200, path);
      assert.match((await res.json()).response.outputSpeech.text, /^Hello, I am Ada/);
    }
    const none = await post('/alexa', launch());
    assert.equal(none.status, 404);
    assert.match((await none.json()).error, /X-AGENT-ID/);
  });

  test('a question runs the agent\'s skill as its owner (Amazon carries no credential of ours) and the answer is made speakable', async () => {
    const toolAgent = await importFixture(u.alice, JSON.stringify(ada));
    await u.alice.req('PATCH', `/api/agents/${toolAgent}`, { embodiments: { alexa: { enabled: true }, chat_model: 'gpt-test' } });
    fake.requests.length = 0;
    fake.queue.push({ toolCalls: [{ name: 'shout', arguments: '{"text":"hey"}' }] }, { text: '## Result\nThe skill said **hey**, see [the docs](https://docs.example/x) or https://y.example.\n```js\nshout()\n```' });
    const answer = await alexa(intent('SmythosQuery', { value: 'shout hey' }), toolAgent);
    assert.deepEqual(answer, spoken('Result. The skill said hey, see the docs or.'));
    const [first, second] = fake.requests;
    assert.deepEqual(first!.messages.map((m) => [m.role, m.content]), [
      ['system', 'You are Ada.'],
      ['user', 'shout hey\nReturn the response in speakable format'],
    ]);
    assert.deepEqual(first!.tools!.map((x) => x.function.name), ['shout']);
    assert.equal(second!.messages.at(-1)!.content, '{"said":"hey"}', 'the skill ran, as the owner: its access is the default owner-only');
  });

  test('a failing model is a spoken apology (200), logged', async () => {
    const failing = await importFixture(u.alice, JSON.stringify(ada));
    await u.alice.req('PATCH', `/api/agents/${failing}`, { embodiments: { alexa: { enabled: true }, chat_model: 'gpt-test' } });
    fake.queue.push({ status: 400, message: 'model overloaded' });
    assert.deepEqual(await alexa(intent('SmythosQuery', { value: 'anything' }), failing), spoken('Sorry, I could not answer that just now. Please try again later.'));
    await waitFor(() => log.lines.some((line) => line.includes('Alexa: the conversation failed') && line.includes(failing)), { timeoutMs: 5000, what: 'the failure logged' });
    const offline = await startTestServer({ RATE_LIMIT_MAX: '100000' });
    try {
      const owner = (await agentCallers(offline)).alice;
      const agentId = await importFixture(owner, JSON.stringify(ada));
      await owner.req('PATCH', `/api/agents/${agentId}`, { embodiments: { alexa: { enabled: true }, chat_model: 'gpt-unreachable' } });
      const res = await post(`/agents/${agentId}/alexa`, intent('SmythosQuery', { value: 'anything' }), {}, offline);
      assert.equal(res.status, 200, 'no model endpoint configured');
      assert.match((await res.json()).response.outputSpeech.text, /^Sorry, I could not answer/);
    } finally {
      await offline.close();
    }
  });

  test('not an Alexa request: 400 {error} naming what is wrong; an unknown agent 404', async () => {
    for (const [body, why] of [
      ['{"version":', /JSON/],
      ['{}', /version/],
      ['{"version":"1.0","request":{}}', /request\.type/],
      ['[1]', /body|expected/],
      ['{"version":"1.0","request":{"type":"IntentRequest","intent":{"name":3}}}', /request\.intent\.name/],
    ] as const) {
      const res = await post(`/agents/${id}/alexa`, body);
      assert.equal(res.status, 400, body);
      assert.match((await res.json()).error, why, body);
    }
    const text = await post(`/agents/${id}/alexa`, 'hello', { 'content-type': 'text/plain' });
    assert.equal(text.status, 400, 'not JSON at all');
    assert.equal(typeof (await text.json()).error, 'string');
    const unknown = await post('/agents/a-nope/alexa', launch());
    assert.equal(unknown.status, 404);
    assert.equal(typeof (await unknown.json()).error, 'string');
  });

  test('with the signature check on: a missing or wrong header, chain URL or timestamp is refused 400 naming the check', async () => {
    const strict = await startTestServer({ RATE_LIMIT_MAX: '100000', ALEXA_VERIFY_SIGNATURE: 'true' });
    try {
      const good = 'https://s3.amazonaws.com/echo.api/echo-api-cert.pem';
      for (const [headers, body, why] of [
        [{}, launch(), /Missing SignatureCertChainUrl/],
        [{ signaturecertchainurl: 'http://s3.amazonaws.com/echo.api/c.pem', 'signature-256': 'x' }, launch(), /https/],
        [{ signaturecertchainurl: 'https://evil.example/echo.api/c.pem', 'signature-256': 'x' }, launch(), /s3\.amazonaws\.com/],
        [{ signaturecertchainurl: 'https://s3.amazonaws.com:8443/echo.api/c.pem', 'signature-256': 'x' }, launch(), /port 443/],
        [{ signaturecertchainurl: 'https://s3.amazonaws.com/EcHo.aPi/c.pem', 'signature-256': 'x' }, launch(), /echo\.api/],
        [{ signaturecertchainurl: 'https://s3.amazonaws.com/echo.api/../c.pem', 'signature-256': 'x' }, launch(), /echo\.api/],
        [{ signaturecertchainurl: good }, launch(), /Missing Signature-256/],
        [{ signaturecertchainurl: good, 'signature-256': 'x' }, launch(new Date(Date.now() - 200_000).toISOString()), /150 seconds/],
        [{ signaturecertchainurl: good, 'signature-256': 'x' }, { version: '1.0', request: { type: 'LaunchRequest' } }, /timestamp/],
      ] as const) {
        const res = await post(`/agents/${id}/alexa`, body, headers, strict);
        assert.equal(res.status, 400, JSON.stringify(headers));
        assert.match((await res.json()).error, why);
      }
    } finally {
      await strict.close();
    }
  });

  test('publishing: only the owner or an admin, who are told which Amazon credentials are missing', async () => {
    const path = `/agents/${id}/alexa/publish`;
    assert.equal((await u.anonymous.post(path, {})).status, 401);
    assert.equal((await u.bob.post(path, {})).status, 404, 'another user does not learn the agent exists');
    await u.alice.req('PUT', `/api/agents/${id}/keys/API_KEY`, { value: 'sk-ada-key' });
    const key = t.client();
    key.bearer = 'sk-ada-key';
    assert.equal((await key.post(path, {})).status, 401, 'the agent key calls skills, it does not manage the agent');
    const missing = await u.alice.post(path, {});
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.body, { error: 'Amazon credentials missing: accessToken, vendorId (an SMAPI access token and your Alexa vendor id)' });
    assert.equal((await u.aliceToken.post(path, { accessToken: 'Atza|x', vendorId: ' ' })).body.error, 'Amazon credentials missing: vendorId (an SMAPI access token and your Alexa vendor id)');
    assert.match((await u.admin.post(path, { vendorId: 'M1' })).body.error, /missing: accessToken \(/, 'an admin may publish');
    assert.match((await u.alice.post('/alexa/publish', {}, { 'x-agent-id': id })).body.error, /missing: accessToken, vendorId/);
    assert.match((await u.alice.post('/emb/alexa/publish', {}, { 'x-agent-id': id })).body.error, /missing: accessToken, vendorId/);
    assert.equal((await u.alice.post('/alexa/publish', {})).status, 404, 'no agent named');
  });
});
