// Embodiments in a real browser (issue 12 items 6-7 and "Done when"): a new user imports an agent, finds
// its "Use it" section, copies the OpenAI base URL and model into the official `openai` client and gets
// an answer; switches Alexa on and adds a browser origin (kept across a reload; a bad origin shows the
// server's error); chats on the chat page, where a skill the model calls shows as a card with its result;
// and a page on another origin chats through the widget — only while that origin is allowed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startOpenAiFake, type OpenAiFake } from '../helpers/openai-fake.ts';
import { agent, endpoint } from '../agents/agent-builder.ts';
import { Client } from '../helpers/client.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const doc = agent(
  [
    { ...endpoint('EP', 'shout', ['text']), data: { endpoint: 'shout', method: 'POST', description: 'Shout the text back', ai_exposed: true } },
    { id: 'OUT', name: 'APIOutput', data: { format: 'minimal' }, inputs: ['said'], outputs: ['Output!'] },
  ],
  [['EP', 'body.text', 'OUT', 'said']],
  { name: 'Shouter', behavior: 'You shout.' },
);

let s: TestServer;
let fake: OpenAiFake;
let browser: Browser;
let site: http.Server;
let siteOrigin = '';
before(async () => {
  fake = await startOpenAiFake();
  s = await startTestServer({ RATE_LIMIT_MAX: '100000', OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: 'sk-fake' });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  await s.client().register('boss'); // the first account is the admin
  // Another site, on another origin, that embeds the widget of the agent named in its query.
  site = http.createServer((req, res) => {
    const agentId = new URL(req.url ?? '/', 'http://x').searchParams.get('agent') ?? '';
    res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><title>Shop</title><h1>Shop</h1><script src="${s.url}/agents/${agentId}/chat/widget.js" async></script>`);
  });
  await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
  siteOrigin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
});
after(async () => {
  await browser?.close();
  await s?.close();
  await fake?.close();
  site?.close();
});

/** A new browser (own cookies, clipboard allowed) with `name` registered and signed in. */
async function person(name: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: s.url });
  const page = await context.newPage();
  await page.goto(s.url + '/register');
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Password').fill(`password-${name}`);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByTestId('whoami').filter({ hasText: `@${name}:localhost` }).waitFor();
  return page;
}

/** Import the agent as the page's user (cookie and CSRF token); its id. */
async function importAgent(page: Page): Promise<string> {
  const { csrf_token } = (await (await page.request.get(s.url + '/api/auth/whoami')).json()) as { csrf_token: string };
  const res = await page.request.post(`${s.url}/api/agents`, { headers: { 'x-csrf-token': csrf_token, 'content-type': 'application/json' }, data: JSON.stringify(doc) });
  assert.equal(res.status(), 201);
  return ((await res.json()) as { agent: { id: string } }).agent.id;
}

test('Use it: copy the OpenAI base URL and model into the official client and get an answer; switches and origins are kept', async () => {
  const page = await person('ada');
  const id = await importAgent(page);
  await page.goto(`${s.url}/agents/${id}`);
  await page.getByRole('heading', { name: 'Use it' }).waitFor();

  // The chat model: the offline echo, so the answer is known.
  await page.getByLabel('Chat model').fill('echo');
  await page.getByRole('button', { name: 'Save model' }).click();
  await page.getByLabel('Chat model').and(page.locator('[value="echo"]')).waitFor();

  await page.getByRole('button', { name: 'Copy Base URL' }).click();
  await page.getByRole('button', { name: 'Copy Base URL' }).filter({ hasText: 'Copied' }).waitFor();
  const baseURL = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(baseURL, `${s.url}/v1`);
  await page.getByRole('button', { name: 'Copy Model', exact: true }).click();
  await page.getByRole('button', { name: 'Copy Model', exact: true }).filter({ hasText: 'Copied' }).waitFor();
  const model = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(model, id);
  const token = (await new Client(s.url).post('/api/auth/login', { username: 'ada', password: 'password-ada', issue: 'access_token' })).body.access_token as string;
  const answer = await new OpenAI({ baseURL, apiKey: token, maxRetries: 0 }).chat.completions.create({ model, messages: [{ role: 'user', content: 'hello from the copied URL' }] });
  assert.equal(answer.choices[0]!.message.content, 'hello from the copied URL');

  // Alexa on; an origin for the chat; both survive a reload; a bad origin is refused with the server's reason.
  const alexa = page.getByRole('article', { name: 'Alexa skill' });
  // The switch follows the server's answer (a refused change leaves it as it was).
  await alexa.getByRole('checkbox').click();
  await alexa.getByText(`${s.url}/agents/${id}/alexa`).waitFor();
  const chat = page.getByRole('article', { name: 'Chat page and widget' });
  await chat.getByLabel('Add an origin to Chat page and widget').fill('https://Shop.Example/');
  await chat.getByRole('button', { name: 'Add' }).click();
  await chat.getByText('https://shop.example').waitFor();
  await page.reload();
  assert.equal(await page.getByRole('article', { name: 'Alexa skill' }).getByRole('checkbox').isChecked(), true);
  await page.getByRole('article', { name: 'Chat page and widget' }).getByText('https://shop.example').waitFor();
  await page.getByRole('article', { name: 'Chat page and widget' }).getByLabel('Add an origin to Chat page and widget').fill('shop');
  await page.getByRole('article', { name: 'Chat page and widget' }).getByRole('button', { name: 'Add' }).click();
  assert.match(await page.getByRole('alert').innerText(), /shop/);

  // Who may call: the agent key mode, a new key shown once, and the OpenAI client with that key.
  await page.getByLabel('Who may call').selectOption('key');
  await page.getByRole('button', { name: 'New agent key' }).click();
  const copyKey = page.getByRole('button', { name: /^Copy Agent key/ });
  await copyKey.click();
  await copyKey.filter({ hasText: 'Copied' }).waitFor();
  const agentKey = await page.evaluate(() => navigator.clipboard.readText());
  assert.match(agentKey, /^ok_[\w-]{43}$/);
  const keyed = await new OpenAI({ baseURL, apiKey: agentKey, maxRetries: 0 }).chat.completions.create({ model, messages: [{ role: 'user', content: 'with the agent key' }] });
  assert.equal(keyed.choices[0]!.message.content, 'with the agent key');

  // The Swagger link opens Swagger UI; the Postman link downloads the collection.
  const swagger = await page.request.get(`${s.url}/agents/${id}/swagger`);
  assert.equal(swagger.status(), 200);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download the collection' }).click()]);
  assert.equal(download.suggestedFilename(), 'Shouter.postman.json');
});

test('the chat page streams the answer and shows the skill the model calls', async () => {
  const page = await person('bea');
  const id = await importAgent(page);
  const { csrf_token } = (await (await page.request.get(s.url + '/api/auth/whoami')).json()) as { csrf_token: string };
  await page.request.patch(`${s.url}/api/agents/${id}`, { headers: { 'x-csrf-token': csrf_token, 'content-type': 'application/json' }, data: JSON.stringify({ embodiments: { chat_model: 'gpt-test' } }) });
  await page.goto(`${s.url}/agents/${id}/chat`);
  await page.getByRole('heading', { name: 'Shouter' }).waitFor();
  fake.queue.push({ toolCalls: [{ name: 'shout', arguments: '{"text":"hey"}' }] });
  await page.getByLabel('Message').fill('shout hey');
  await page.getByRole('button', { name: 'Send' }).click();
  await page.getByTestId('tool-card').filter({ hasText: '{"said":"hey"}' }).waitFor();
  await page.getByTestId('assistant-message').filter({ hasText: 'model says: {"said":"hey"}' }).waitFor();
  assert.equal(await page.getByTestId('user-message').innerText(), 'shout hey');
});

test('the widget on another site chats with a public agent while that site\'s origin is allowed', async () => {
  const owner = await person('cid');
  const id = await importAgent(owner);
  const { csrf_token } = (await (await owner.request.get(s.url + '/api/auth/whoami')).json()) as { csrf_token: string };
  const patch = (body: unknown) => owner.request.patch(`${s.url}/api/agents/${id}`, { headers: { 'x-csrf-token': csrf_token, 'content-type': 'application/json' }, data: JSON.stringify(body) });
  await patch({ skill_access: 'public', embodiments: { chat_model: 'echo', chat: { allowed_origins: [siteOrigin] } } });

  const visitor = await (await browser.newContext()).newPage();
  await visitor.goto(`${siteOrigin}/?agent=${id}`);
  await visitor.getByRole('button', { name: 'Open chat' }).click();
  await visitor.getByLabel('Message').fill('hi from the shop');
  await visitor.getByRole('button', { name: 'Send' }).click();
  await visitor.locator('.msg.assistant').filter({ hasText: 'hi from the shop' }).waitFor();

  await patch({ embodiments: { chat: { allowed_origins: ['https://elsewhere.example'] } } });
  await visitor.getByLabel('Message').fill('still there?');
  await visitor.getByRole('button', { name: 'Send' }).click();
  await visitor.locator('.msg.error').filter({ hasText: 'The chat is unavailable' }).waitFor();
});
