import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyEmbodimentPatch, defaultEmbodimentSettings, normalizeOrigin, originAllowed, readEmbodimentSettings } from './embodiment-settings.ts';

test('defaults: every embodiment on except Alexa, no origins, the server model', () => {
  const d = defaultEmbodimentSettings();
  assert.deepEqual(
    Object.fromEntries(Object.entries(d).map(([k, v]) => [k, v && typeof v === 'object' ? (v as { enabled: boolean }).enabled : v])),
    { openai: true, mcp: true, openapi: true, chat: true, alexa: false, chatModel: null },
  );
  assert.deepEqual(d.chat.allowedOrigins, []);
});

test('stored settings merge over the defaults; junk and bad values fall back, never throw', () => {
  assert.deepEqual(readEmbodimentSettings(null), defaultEmbodimentSettings());
  assert.deepEqual(readEmbodimentSettings('not json'), defaultEmbodimentSettings());
  assert.deepEqual(readEmbodimentSettings('[1]').openai, defaultEmbodimentSettings().openai);
  const s = readEmbodimentSettings(JSON.stringify({ alexa: { enabled: true }, mcp: { enabled: 'yes', allowedOrigins: ['https://a.example', 3] }, chatModel: '  gpt-x ', future: 1 }));
  assert.equal(s.alexa.enabled, true);
  assert.equal(s.mcp.enabled, true, 'a non-boolean keeps the default');
  assert.deepEqual(s.mcp.allowedOrigins, ['https://a.example']);
  assert.equal(s.chatModel, 'gpt-x');
  assert.equal('future' in s, false);
});

test('a patch changes only what it names; origins are normalised and deduplicated; an empty model is the default', () => {
  const base = defaultEmbodimentSettings();
  const next = applyEmbodimentPatch(base, { chat: { allowedOrigins: ['https://Shop.Example/', 'https://shop.example', '*'] }, alexa: { enabled: true }, chatModel: 'echo' });
  assert.deepEqual(next.chat, { enabled: true, allowedOrigins: ['https://shop.example', '*'] });
  assert.equal(next.alexa.enabled, true);
  assert.equal(next.openai.enabled, true);
  assert.equal(next.chatModel, 'echo');
  assert.equal(base.alexa.enabled, false, 'the current settings are not changed in place');
  assert.equal(applyEmbodimentPatch(next, { chatModel: ' ' }).chatModel, null);
  assert.equal(applyEmbodimentPatch(next, { chatModel: null }).chatModel, null);
});

test('origins: scheme://host[:port] only', () => {
  assert.equal(normalizeOrigin('http://LOCALHOST:8080'), 'http://localhost:8080');
  for (const bad of ['shop.example', 'ftp://shop.example', 'https://shop.example/path', 'https://shop.example?q', 'javascript:alert(1)']) {
    assert.throws(() => normalizeOrigin(bad), TypeError, bad);
  }
});

test('an origin is allowed when listed (any case) or when `*` is', () => {
  const setting = { enabled: true, allowedOrigins: ['https://shop.example'] };
  assert.equal(originAllowed(setting, 'https://SHOP.example'), true);
  assert.equal(originAllowed(setting, 'https://evil.example'), false);
  assert.equal(originAllowed(setting, 'null'), false);
  assert.equal(originAllowed({ enabled: true, allowedOrigins: ['*'] }, 'https://any.example'), true);
});
