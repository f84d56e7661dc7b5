// The Rooms page (/rooms) in two browsers over the Matrix Client-Server API with the web session:
// create, invite, an invite arriving live, accept, messages both ways without reload; the server's
// error text on a failed invite; decline; paging back; the shared space (/main) as one of the rooms;
// signed-out visitors sent to sign in.
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
  // One person posts to the shared space from /main and from Rooms within a second: the shared
  // space's cooldown (which Matrix sends there keep too) is not what these tests are about.
  s = await startTestServer({ RUNTIME_SHARED_MIN_GAP_MS: '0' });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  mkdirSync('test-results', { recursive: true });
});
after(async () => {
  await browser?.close();
  await s?.close();
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

/** Opens /rooms from the navigation and waits for the sync loop to be live. */
async function openRooms(page: Page) {
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Rooms' }).click();
  await page.getByRole('heading', { name: /^Rooms/, level: 1 }).getByText('live', { exact: true }).waitFor();
}

async function createRoom(page: Page, name: string, topic?: string) {
  await page.getByLabel('Room name').fill(name);
  if (topic) await page.getByLabel('Topic (optional)').fill(topic);
  await page.getByRole('button', { name: 'Create room' }).click();
  await page.getByRole('heading', { name, level: 2 }).waitFor();
}

async function invite(page: Page, who: string) {
  await page.getByLabel('Invite someone').fill(who);
  await page.getByRole('button', { name: 'Invite', exact: true }).click();
}

async function say(page: Page, text: string) {
  await page.getByRole('textbox', { name: 'Message' }).fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
}

const timeline = (page: Page) => page.getByRole('list', { name: 'Timeline' });
const message = (page: Page, text: string) => timeline(page).getByTestId('message').filter({ hasText: text });

test('two people: create a room, invite, the invite arrives live, accept, talk both ways without reload', async () => {
  const alice = await person('alice');
  const bob = await person('bob');
  await openRooms(bob);
  await openRooms(alice);

  await createRoom(alice, 'Apollo', 'Moon talk');
  await alice.waitForURL(/\/rooms\/(!|%21)/);
  await alice.getByText('Moon talk', { exact: true }).waitFor();
  await timeline(alice).getByText('alice created the room').waitFor();
  await alice.getByRole('navigation', { name: 'Your rooms' }).getByRole('link', { name: /Apollo/ }).waitFor();

  // A bare name is invited as @name:<this server>.
  await invite(alice, 'bob');
  await alice.getByRole('status').filter({ hasText: 'Invited @bob:localhost.' }).waitFor();
  await timeline(alice).getByText('alice invited bob').waitFor();

  const invites = bob.getByRole('region', { name: 'Invites' });
  await invites.getByText('Apollo').waitFor();
  await invites.getByText('from @alice:localhost').waitFor();
  await bob.screenshot({ path: 'test-results/rooms-invite.png', fullPage: true });
  await invites.getByRole('button', { name: 'Accept invite to Apollo' }).click();
  await bob.getByRole('heading', { name: 'Apollo', level: 2 }).waitFor();
  await invites.waitFor({ state: 'detached' });
  await timeline(alice).getByText('bob joined the room').waitFor();
  await alice.getByRole('list', { name: 'Members' }).getByText('bob').waitFor();

  await say(alice, 'hello bob, over');
  await message(bob, 'hello bob, over').filter({ hasText: 'alice' }).waitFor();
  await say(bob, 'hello alice, loud and clear');
  await message(alice, 'hello alice, loud and clear').filter({ hasText: 'bob' }).waitFor();
  // The echo of one's own message replaces its pending line: it shows once.
  await timeline(alice).getByTestId('pending-message').waitFor({ state: 'detached' });
  assert.equal(await message(alice, 'hello bob, over').count(), 1);
  assert.match((await message(alice, 'hello bob, over').locator('time').getAttribute('datetime')) ?? '', /^\d{4}-\d\d-\d\dT/);

  await alice.screenshot({ path: 'test-results/rooms-alice.png', fullPage: true });
  await bob.setViewportSize({ width: 390, height: 844 });
  await bob.screenshot({ path: 'test-results/rooms-bob-narrow.png', fullPage: true });
  await alice.context().close();
  await bob.context().close();
});

test("inviting an unknown user shows the server's error; a declined invite goes away", async () => {
  const carol = await person('carol');
  const dave = await person('dave');
  await openRooms(carol);
  await openRooms(dave);
  await createRoom(carol, 'Errors');

  await invite(carol, '@nobody-here:localhost');
  const alert = carol.getByRole('alert');
  await alert.waitFor();
  const shown = (await alert.innerText()).trim();
  const roomId = decodeURIComponent(new URL(carol.url()).pathname.split('/').pop()!);
  // The same request straight to the API: the page shows the server's own `error`, word for word.
  const direct = await carol.evaluate(async (room) => {
    const csrf = (await (await fetch('/api/auth/whoami')).json()).csrf_token as string;
    const r = await fetch(`/_matrix/client/v3/rooms/${encodeURIComponent(room)}/invite`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify({ user_id: '@nobody-here:localhost' }),
    });
    return { status: r.status, body: (await r.json()) as { errcode?: string; error?: string } };
  }, roomId);
  assert.ok(direct.status >= 400, `unknown invitee refused: ${JSON.stringify(direct)}`);
  assert.ok(direct.body.error, `the refusal carries an error text: ${JSON.stringify(direct)}`);
  assert.equal(shown, direct.body.error);
  await carol.screenshot({ path: 'test-results/rooms-invite-error.png' });

  await invite(carol, 'dave');
  await carol.getByRole('status').filter({ hasText: 'Invited @dave:localhost.' }).waitFor();
  const invites = dave.getByRole('region', { name: 'Invites' });
  await invites.getByRole('button', { name: 'Decline invite to Errors' }).click();
  await invites.waitFor({ state: 'detached' });
  await timeline(carol).getByText('dave declined the invite').waitFor();
  await carol.context().close();
  await dave.context().close();
});

test('"Load older" pages back through the history to the start of the room', async () => {
  const erin = await person('erin');
  await openRooms(erin);
  await createRoom(erin, 'Archive');
  const roomId = decodeURIComponent(new URL(erin.url()).pathname.split('/').pop()!);
  await erin.evaluate(async (room) => {
    const csrf = (await (await fetch('/api/auth/whoami')).json()).csrf_token as string;
    for (let i = 1; i <= 40; i++) {
      const r = await fetch(`/_matrix/client/v3/rooms/${encodeURIComponent(room)}/send/m.room.message/t${i}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
        body: JSON.stringify({ msgtype: 'm.text', body: `note ${i}` }),
      });
      if (!r.ok) throw new Error(`send ${i}: ${r.status} ${await r.text()}`);
    }
  }, roomId);
  await message(erin, 'note 40').waitFor();

  await erin.reload();
  await message(erin, 'note 40').waitFor();
  assert.equal(await message(erin, 'note 1').filter({ hasText: /note 1$/ }).count(), 0, 'the first sync brings only the latest page');
  const older = erin.getByRole('button', { name: 'Load older' });
  const created = timeline(erin).getByText('erin created the room');
  for (let pages = 0; !(await created.isVisible()); pages++) {
    assert.ok(pages < 5, 'the start of the room within five pages');
    await older.click();
    await older.or(created).first().waitFor();
  }
  assert.equal(await older.count(), 0, 'no "Load older" at the start of the room');
  await message(erin, 'note 1').filter({ hasText: /note 1$/ }).waitFor();
  await timeline(erin).getByText('erin created the room').waitFor();
  assert.equal(await timeline(erin).getByTestId('message').count(), 40, 'each message once');
  await erin.context().close();
});

test('the shared space stays at /main and is one of the rooms: each side sees the other live', async () => {
  const gus = await person('gus');
  await openRooms(gus);
  await gus.getByRole('navigation', { name: 'Your rooms' }).getByRole('link', { name: /Shared space/ }).click();
  await gus.getByRole('heading', { name: 'Shared space', level: 2 }).waitFor();
  const main = await gus.context().newPage();
  await main.goto(s.url + '/main');
  await main.getByRole('heading', { name: /^Shared space/, level: 1 }).getByText('live', { exact: true }).waitFor();
  await main.getByRole('textbox', { name: 'Message' }).fill('posted on /main');
  await main.getByRole('button', { name: 'Send' }).click();
  await message(gus, 'posted on /main').waitFor();
  await say(gus, 'posted from Rooms');
  await main.getByRole('list', { name: 'Messages' }).getByText('posted from Rooms').waitFor();

  // Leaving the Rooms page ends its sync loop: the long-poll in flight is aborted.
  const aborted = gus.waitForEvent('requestfailed', (r) => r.url().includes('/_matrix/client/v3/sync'));
  await gus.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Shared space' }).click();
  assert.match((await aborted).failure()?.errorText ?? '', /ABORTED/);
  await gus.context().close();
});

test('a visitor who is not signed in is sent to sign in, and back to the rooms after', async () => {
  await (await person('frank')).context().close();
  const page = await (await browser.newContext()).newPage();
  await page.goto(s.url + '/rooms');
  await page.waitForURL(/\/login\?redirect=%2Frooms$/);
  await page.getByLabel('Username').fill('frank');
  await page.getByLabel('Password').fill('password-frank');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: /^Rooms/, level: 1 }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/rooms');
  await page.context().close();
});
