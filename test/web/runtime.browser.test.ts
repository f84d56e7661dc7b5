import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let s: TestServer;
let browser: Browser;
before(async () => {
  s = await startTestServer();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  mkdirSync('test-results', { recursive: true });
});
after(async () => {
  await browser?.close();
  await s?.close();
});

async function register(page: Page, name: string) {
  await page.goto(s.url + '/register');
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Password').fill(`password-${name}`);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByTestId('whoami').filter({ hasText: `@${name}:localhost` }).waitFor();
}

test('generate an invite, claim it on the connect page, see the token once', async () => {
  const context = await browser.newContext();
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const page = await context.newPage();
  await register(page, 'linker');
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Runtime connect' }).click();
  await page.getByRole('button', { name: 'generate invite' }).click();
  const url = await page.getByLabel('Invite link').inputValue();
  assert.match(url, /\/runtime\/connect\?code=kzinv_[0-9a-f]{36}$/);
  await page.getByRole('img', { name: 'QR code of the invite link' }).waitFor();
  assert.match((await page.getByRole('img', { name: 'QR code of the invite link' }).getAttribute('src')) ?? '', /^data:image\/png;base64,/);
  await page.getByRole('button', { name: 'copy link' }).click();
  await page.getByRole('button', { name: 'copied' }).waitFor();
  await page.screenshot({ path: 'test-results/runtime-connect.png', fullPage: true });

  await page.goto(url);
  await page.getByRole('button', { name: 'claim runtime identity' }).click();
  const result = page.getByTestId('claim-result');
  await result.waitFor();
  assert.match(await result.innerText(), /user: linker/);
  assert.match(await result.innerText(), /mode: linked to current account/);
  const token = await page.getByLabel('runtime token (shown once)').inputValue();
  assert.match(token, /^kzrt_[0-9a-f]{48}$/);
  assert.match(await result.innerText(), new RegExp(`npm run connect -- --base-url .* --token "${token}"`));
  await page.screenshot({ path: 'test-results/runtime-claim.png', fullPage: true });

  // Shown once: the page reloaded shows no token; claiming again fails with a readable sentence.
  await page.reload();
  assert.equal(await page.getByLabel('runtime token (shown once)').count(), 0);
  await page.getByRole('button', { name: 'claim runtime identity' }).click();
  await page.getByRole('alert').filter({ hasText: 'Invalid invite.' }).waitFor();

  await page.goto(s.url + '/runtime');
  await page.getByRole('cell', { name: 'invite-claim', exact: true }).waitFor();
  await page.getByRole('button', { name: 'Revoke token invite-claim' }).click();
  await page.getByRole('cell', { name: 'revoked', exact: true }).waitFor();
  const r = await fetch(s.url + '/api/runtime/presence', { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  assert.equal(r.status, 401, 'the token revoked in the UI no longer works');
  await context.close();
});

test('a message posted in /main appears live in a second browser; bots are marked', async () => {
  const a = await browser.newContext();
  const b = await browser.newContext();
  const pa = await a.newPage();
  const pb = await b.newPage();
  await register(pa, 'writer');
  await register(pb, 'reader');
  await pb.goto(s.url + '/main');
  await pb.getByText('live', { exact: true }).waitFor();
  await pa.goto(s.url + '/main');
  await pa.getByRole('textbox', { name: 'Message' }).fill('hello from the first browser');
  await pa.getByRole('button', { name: 'Send' }).click();
  await pb.getByRole('list', { name: 'Messages' }).getByText('hello from the first browser').waitFor({ timeout: 5000 });

  // A runtime bot heartbeat shows up in the present list with a bot badge.
  const claim = await pa.evaluate(async () => {
    const csrf = (await (await fetch('/api/auth/whoami')).json()).csrf_token;
    const h = { 'content-type': 'application/json', 'x-csrf-token': csrf };
    const inv = await (await fetch('/api/runtime/invite/create', { method: 'POST', headers: h, body: '{}' })).json();
    return (await fetch('/api/runtime/invite/claim', { method: 'POST', headers: h, body: JSON.stringify({ code: inv.code }) })).json();
  });
  await fetch(s.url + '/api/runtime/presence', { method: 'POST', headers: { authorization: `Bearer ${claim.token}` } });
  await pb.getByTestId('present-user').filter({ hasText: 'writer' }).filter({ hasText: 'bot' }).waitFor({ timeout: 10_000 });
  await pb.screenshot({ path: 'test-results/shared-space.png', fullPage: true });
  await a.close();
  await b.close();
});

test('the runtime manual is public', async () => {
  const page = await browser.newPage();
  await page.goto(s.url + '/runtime/spec');
  await page.getByRole('heading', { name: 'Runtime Connect manual' }).waitFor();
  for (const h of ['0) Five-minute quick start', '1) Quick API test (optional)', '2) Token expiry and refresh', '3) Common errors and fixes', '4) Success checklist', '5) Security']) {
    assert.ok(await page.getByRole('heading', { name: h }).isVisible(), h);
  }
  await page.close();
});
