// The chat page and the embeddable widget in a real browser (issue 12 item 6). The page: a signed-in
// owner opens /agents/<id>/chat (the server hands the path to the web UI), sees the agent's greeting,
// chats — the answer streams in, a skill the model calls is a card with its arguments and result, a
// failing one is marked failed, the history goes along, Stop hangs up; signed out, an owner-only agent
// asks to sign in and comes back after, a public one just chats. The widget: a page on another origin
// (another local server) gets a bubble in a Shadow DOM its own CSS cannot reach, chats with a public
// agent whose allowed origins include it, sends `data-key` for a key-mode agent, and fails visibly —
// from an origin not allowed, or with a wrong key (the server's reason shown).
// Needs `npm run build:web` first and Chromium (CHROMIUM_PATH, default /usr/bin/chromium).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startOpenAiFake, type FakeTurn, type OpenAiFake } from '../helpers/openai-fake.ts';
import { waitFor } from '../helpers/wait.ts';
import { agent, endpoint } from '../agents/agent-builder.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const doc = agent(
  [
    { ...endpoint('EP', 'shout', ['text']), data: { endpoint: 'shout', method: 'POST', description: 'Shout the text back', ai_exposed: true } },
    { id: 'OUT', name: 'APIOutput', data: { format: 'minimal' }, inputs: ['said'], outputs: ['Output!'] },
  ],
  [['EP', 'body.text', 'OUT', 'said']],
  { name: 'Shouter', behavior: 'You shout.', introMessage: 'Hi! I shout.' },
);

let s: TestServer;
let fake: OpenAiFake;
let browser: Browser;
/** Two other sites (own origins) that embed the widget of `?agent=`, with `?key=` as `data-key`. */
const sites: { server: http.Server; origin: string }[] = [];

before(async () => {
  fake = await startOpenAiFake();
  s = await startTestServer({ RATE_LIMIT_MAX: '100000', OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: 'sk-fake' });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  await s.client().register('root'); // the first account is the admin
  for (let i = 0; i < 2; i++) {
    const server = http.createServer((req, res) => {
      const query = new URL(req.url ?? '/', 'http://x').searchParams;
      const key = query.get('key') ? ` data-key="${query.get('key')}"` : '';
      // The site's own CSS is hostile on purpose: the widget's Shadow DOM keeps it out.
      res.writeHead(200, { 'content-type': 'text/html' }).end(
        `<!doctype html><title>Shop</title><style>div, button, input { color: rgb(255, 0, 0) !important; font-size: 40px !important; background: yellow !important; }</style>` +
          `<h1>Shop</h1><script src="${s.url}/agents/${query.get('agent')}/chat/widget.js"${key} async></script>`,
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    sites.push({ server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  }
});
after(async () => {
  await browser?.close();
  await s?.close();
  await fake?.close();
  for (const site of sites) site.server.close();
});

/** A new browser (own cookies) with `name` registered and signed in. */
async function person(name: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(s.url + '/register');
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Password').fill(`password-${name}`);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByTestId('whoami').filter({ hasText: `@${name}:localhost` }).waitFor();
  return page;
}

/** Imports the agent as the page's user, with `settings` PATCHed on it; its id and a PATCH for later. */
async function ownAgent(page: Page, settings: object): Promise<{ id: string; patch: (body: object) => Promise<void> }> {
  const { csrf_token } = (await (await page.request.get(s.url + '/api/auth/whoami')).json()) as { csrf_token: string };
  const headers = { 'x-csrf-token': csrf_token, 'content-type': 'application/json' };
  const created = await page.request.post(`${s.url}/api/agents`, { headers, data: JSON.stringify(doc) });
  assert.equal(created.status(), 201);
  const id = ((await created.json()) as { agent: { id: string } }).agent.id;
  const patch = async (body: object) => assert.equal((await page.request.patch(`${s.url}/api/agents/${id}`, { headers, data: JSON.stringify(body) })).status(), 200);
  await patch(settings);
  return { id, patch };
}

/** Types `text` into the chat and sends it. */
async function say(page: Page, text: string): Promise<void> {
  await page.getByLabel('Message').fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
}

test('the chat page, signed in: the answer streams in, skills are cards (done or failed), the history goes along, Stop hangs up', async () => {
  const page = await person('owen');
  const { id } = await ownAgent(page, { embodiments: { chat_model: 'gpt-test' } });
  const opened = await page.goto(`${s.url}/agents/${id}/chat`);
  assert.equal(opened?.status(), 200, 'the server hands /agents/<id>/chat to the web UI');
  await page.getByRole('heading', { name: 'Shouter' }).waitFor();
  await page.getByText('Hi! I shout.').waitFor();
  await page.getByText('Model: gpt-test · skills: shout').waitFor();

  fake.queue.push({ toolCalls: [{ name: 'shout', arguments: '{"text":"hey"}' }] });
  await say(page, 'shout hey');
  const card = page.getByTestId('tool-card').first();
  await card.and(page.locator('[data-state="done"]')).waitFor();
  assert.match(await card.innerText(), /shout[\s\S]*"text": "hey"[\s\S]*\{"said":"hey"\}/);
  await page.getByTestId('assistant-message').filter({ hasText: 'model says: {"said":"hey"}' }).waitFor();
  assert.equal(await page.getByTestId('user-message').innerText(), 'shout hey');

  // A tool the agent does not have: the card says failed, with the reason; the answer still comes.
  fake.queue.push({ toolCalls: [{ name: 'whisper', arguments: '{}' }] });
  await say(page, 'whisper');
  await page.getByTestId('tool-card').and(page.locator('[data-state="failed"]')).filter({ hasText: 'Unknown tool: whisper' }).waitFor();
  await page.getByTestId('assistant-message').filter({ hasText: 'model says: Error: Unknown tool: whisper' }).waitFor();
  // The page sent the conversation so far: both earlier exchanges, the user's message last.
  const asked = fake.requests.at(-2)!.messages;
  assert.deepEqual(asked.filter((m) => m.role === 'user').map((m) => m.content), ['shout hey', 'whisper']);
  assert.deepEqual(asked.filter((m) => m.role === 'assistant' && !m.tool_calls).map((m) => m.content), ['model says: {"said":"hey"}']);

  // A model that takes its time: Stop hangs up, and the server abandons the model's request.
  let release!: (turn: FakeTurn) => void;
  fake.queue.push(new Promise<FakeTurn>((resolve) => (release = resolve)));
  const abandoned = fake.abandoned;
  await say(page, 'take your time');
  await page.getByRole('button', { name: 'Stop' }).click();
  await page.getByRole('alert').filter({ hasText: 'Stopped.' }).waitFor();
  await waitFor(() => fake.abandoned === abandoned + 1, { what: 'the model request was abandoned' });
  release({ text: 'too late' });
  assert.equal(await page.getByRole('button', { name: 'Send' }).isEnabled(), true);
  assert.equal(await page.getByRole('button', { name: 'Stop' }).count(), 0);
  // What was stopped is not sent again.
  await say(page, 'one more');
  await page.getByTestId('assistant-message').filter({ hasText: 'model says: one more' }).waitFor();
  assert.deepEqual(fake.requests.at(-1)!.messages.filter((m) => m.role === 'user').map((m) => m.content), ['shout hey', 'whisper', 'one more']);
});

test('the chat page, signed out: an owner-only agent asks to sign in and comes back after; a public agent just chats', async () => {
  const owner = await person('olga');
  const { id, patch } = await ownAgent(owner, { embodiments: { chat_model: 'echo' } });
  const visitor = await (await browser.newContext()).newPage();
  await visitor.goto(`${s.url}/agents/${id}/chat`);
  await visitor.getByText('This agent is not public: sign in as someone who may use it.').waitFor();
  await visitor.getByRole('link', { name: 'Sign in' }).click();
  await visitor.getByLabel('Username').fill('olga');
  await visitor.getByLabel('Password').fill('password-olga');
  await visitor.getByRole('button', { name: 'Sign in' }).click();
  await visitor.getByRole('heading', { name: 'Shouter' }).waitFor();
  assert.equal(new URL(visitor.url()).pathname, `/agents/${id}/chat`);

  await patch({ skill_access: 'public' });
  const stranger = await (await browser.newContext()).newPage();
  await stranger.goto(`${s.url}/agents/${id}/chat`);
  await stranger.getByRole('heading', { name: 'Shouter' }).waitFor();
  await stranger.getByLabel('Message').fill('anyone there?');
  await stranger.getByLabel('Message').press('Enter');
  await stranger.getByTestId('assistant-message').filter({ hasText: 'anyone there?' }).waitFor();

  // Switched off: the page says so instead of a chat.
  await patch({ embodiments: { chat: { enabled: false } } });
  await stranger.reload();
  await stranger.getByRole('alert').filter({ hasText: 'its chat is switched off' }).waitFor();
});

test('the widget: chats from an allowed origin (Shadow DOM, skills shown), with data-key for a key-mode agent, and fails visibly elsewhere', async () => {
  const owner = await person('wanda');
  const [allowed, other] = sites as [(typeof sites)[0], (typeof sites)[0]];
  const { id, patch } = await ownAgent(owner, { skill_access: 'public', embodiments: { chat_model: 'gpt-test', chat: { allowed_origins: [allowed.origin] } } });

  const visitor = await (await browser.newContext()).newPage();
  await visitor.goto(`${allowed.origin}/?agent=${id}`);
  await visitor.getByRole('button', { name: 'Open chat' }).click();
  const dialog = visitor.getByRole('dialog', { name: 'Chat' });
  await dialog.getByText('Shouter', { exact: true }).waitFor(); // the agent's name, from …/chat/config
  await dialog.getByText('Hi! I shout.').waitFor();
  fake.queue.push({ toolCalls: [{ name: 'shout', arguments: '{"text":"hi"}' }] });
  await dialog.getByLabel('Message').fill('shout hi');
  await dialog.getByRole('button', { name: 'Send' }).click();
  await dialog.locator('.msg.tool').filter({ hasText: 'shout ✓' }).waitFor();
  const answer = dialog.locator('.msg.assistant').filter({ hasText: 'model says: {"said":"hi"}' });
  await answer.waitFor();
  // The site's CSS does not reach inside.
  const style = await answer.evaluate((el) => ({ color: getComputedStyle(el).color, size: getComputedStyle(el).fontSize }));
  assert.deepEqual(style, { color: 'rgb(26, 27, 30)', size: '14px' });

  // A key-mode agent: the right data-key chats, a wrong one shows the server's reason.
  await owner.request.put(`${s.url}/api/agents/${id}/keys/API_KEY`, {
    headers: { 'x-csrf-token': ((await (await owner.request.get(s.url + '/api/auth/whoami')).json()) as { csrf_token: string }).csrf_token, 'content-type': 'application/json' },
    data: JSON.stringify({ value: 'shop-key' }),
  });
  await patch({ skill_access: 'key' });
  for (const [key, expected] of [
    ['shop-key', '.msg.assistant'],
    ['wrong-key', '.msg.error'],
  ] as const) {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${allowed.origin}/?agent=${id}&key=${key}`);
    await page.getByRole('button', { name: 'Open chat' }).click();
    await page.getByLabel('Message').fill(`with ${key}`);
    await page.getByRole('button', { name: 'Send' }).click();
    const shown = page.locator(expected);
    await shown.filter({ hasText: key === 'shop-key' ? 'model says: with shop-key' : 'The chat is unavailable: This agent requires authentication' }).waitFor();
  }

  // Another origin: the browser refuses the answer (CORS), and the widget says the chat is unavailable.
  await patch({ skill_access: 'public' });
  const elsewhere = await (await browser.newContext()).newPage();
  await elsewhere.goto(`${other.origin}/?agent=${id}`);
  await elsewhere.getByRole('button', { name: 'Open chat' }).click();
  await elsewhere.getByLabel('Message').fill('let me in');
  await elsewhere.getByRole('button', { name: 'Send' }).click();
  await elsewhere.locator('.msg.error').filter({ hasText: 'The chat is unavailable' }).waitFor();
  assert.equal(await elsewhere.locator('.head').innerText(), 'Chat', 'not even the name reached that page');
});
