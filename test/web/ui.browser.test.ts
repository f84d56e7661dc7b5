import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let s: TestServer;
let browser: Browser;
before(async () => {
  s = await startTestServer();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
});
after(async () => {
  await browser?.close();
  await s?.close();
});

test('a person registers, sees the shell, signs out and signs in again', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const external: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(s.url) && !r.url().startsWith('data:')) external.push(r.url());
  });

  await page.goto(s.url + '/');
  await page.waitForURL(/\/login/);
  await page.getByRole('link', { name: 'Create one' }).click();
  await page.getByLabel('Username').fill('Bad Name');
  await page.getByLabel('Password').fill('password-ui');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('alert').filter({ hasText: 'lowercase letters' }).waitFor();

  await page.getByLabel('Username').fill('uiuser');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByTestId('whoami').filter({ hasText: '@uiuser:localhost' }).waitFor();
  for (const section of ['Shared space', 'Runtime connect', 'Bots', 'Agents', 'Queue', 'Admin']) {
    assert.ok(await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: section }).isVisible(), section);
  }
  mkdirSync('test-results', { recursive: true });
  await page.screenshot({ path: 'test-results/ui-shell.png', fullPage: true });

  await page.getByRole('link', { name: 'Admin' }).click();
  await page.getByRole('cell', { name: '@uiuser:localhost' }).waitFor();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/\/login/);
  await page.getByLabel('Username').fill('uiuser');
  await page.getByLabel('Password').fill('wrong-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'Invalid username or password' }).waitFor();
  await page.getByLabel('Password').fill('password-ui');
  await page.keyboard.press('Enter');
  // Signing in returns to the page the person was on (/admin), still signed in.
  await page.getByRole('heading', { name: 'Admin' }).waitFor();
  await page.getByRole('link', { name: 'Orrery home' }).click();
  await page.getByRole('heading', { name: 'Welcome, uiuser' }).waitFor();
  await page.screenshot({ path: 'test-results/ui-home.png' });
  assert.deepEqual(external, [], 'the UI makes no external network requests');
  await context.close();
});
