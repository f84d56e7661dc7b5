/**
 * Swagger UI in a real browser (issue 12 item 4; research/smythos.md §12 item 32), under our CSP
 * (`script-src 'self'`): the page starts with no blocked script and lists the agent's skills; its owner,
 * signed in, runs a skill with "Try it out" (the session's CSRF token is added by our start script); a
 * visitor without a session authorizes with the agent's key through the `ApiKeyAuth` scheme.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import type { Client } from '../helpers/client.ts';
import { importFixture } from '../agents/api-helpers.ts';
import { looker } from './openapi-agents.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let s: TestServer;
let browser: Browser;
let owner: Client;
let id: string;
before(async () => {
  s = await startTestServer({ RATE_LIMIT_MAX: '100000' });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  await s.client().register('boss'); // the first account is the admin
  owner = s.client();
  assert.equal((await owner.register('ada')).status, 201);
  id = await importFixture(owner, JSON.stringify(looker), 'Looker');
});
after(async () => {
  await browser?.close();
  await s?.close();
});

/** A new page whose console errors (a CSP violation is one) are collected in `errors`. */
async function openPage(cookies: Map<string, string> = new Map()): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  await context.addCookies([...cookies].map(([name, value]) => ({ name, value, url: s.url })));
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => (m.type() === 'error' ? errors.push(m.text()) : undefined));
  page.on('pageerror', (e) => errors.push(e.message));
  return { page, errors };
}

/** Runs GET /api/look with `q` through "Try it out"; the status and body Swagger UI shows. */
async function tryLook(page: Page, q: string): Promise<{ status: string; body: string }> {
  const op = page.locator('.opblock-get', { has: page.locator('.opblock-summary-path', { hasText: /^\/api\/look$/ }) });
  await op.locator('.opblock-summary').click();
  await op.locator('.try-out__btn').click();
  await op.locator('tr[data-param-name="q"] input').fill(q);
  await op.locator('.execute').click();
  const response = op.locator('.live-responses-table .response');
  await response.waitFor();
  // The status cell also says `Undocumented` for a status the document does not list.
  return { status: (await response.locator('.response-col_status').innerText()).trim().split(/\s/)[0]!, body: await response.locator('.response-col_description pre').first().innerText() };
}

test('the owner, signed in, opens Swagger UI from the link and runs a skill with "Try it out"', async () => {
  const { page, errors } = await openPage(owner.cookies);
  await page.goto(`${s.url}/agents/${id}/swagger`);
  assert.equal(await page.title(), 'Looker');
  await page.locator('.opblock').first().waitFor();
  assert.deepEqual(await page.locator('.opblock-summary-path').allInnerTexts(), ['/api/look', '/api/say', '/api/upload', '/api/secret']);
  const { status, body } = await tryLook(page, 'from swagger');
  assert.equal(status, '200', body);
  assert.deepEqual(JSON.parse(body), { q: 'from swagger' });
  assert.deepEqual(errors, [], 'no script was blocked, nothing failed');
  await page.context().close();
});

test('a visitor authorizes with the agent key (ApiKeyAuth) and runs the skill; without it the skill refuses', async () => {
  assert.equal((await owner.req('PUT', `/api/agents/${id}/keys/API_KEY`, { value: 'swagger-key' })).status, 201);
  assert.equal((await owner.req('PATCH', `/api/agents/${id}`, { skill_access: 'key' })).status, 200);
  const { page } = await openPage();
  await page.setExtraHTTPHeaders({ authorization: 'Bearer swagger-key' }); // to read the page itself
  await page.goto(`${s.url}/agents/${id}/swagger`);
  await page.setExtraHTTPHeaders({});
  await page.locator('.opblock').first().waitFor();
  const refused = await tryLook(page, 'no key');
  assert.equal(refused.status, '401', refused.body);
  await page.locator('.auth-wrapper .authorize').click();
  await page.locator('.modal-ux input[type="text"]').fill('Bearer swagger-key');
  await page.locator('.modal-ux .auth-btn-wrapper .authorize').click();
  await page.locator('.modal-ux .btn-done').click();
  await page.locator('.opblock-get .execute').click();
  await page.locator('.opblock-get .live-responses-table .response-col_status', { hasText: '200' }).waitFor();
  await page.context().close();
});
