/**
 * Key/value memory components (SmythOS `MemoryWriteKeyVal`, `MemoryReadKeyVal`, `MemoryDeleteKeyVal`), over the
 * agent's persisted memory (`context.memory`). `memoryName` names the store and is used as written; `key` and
 * `value` are templates over the inputs (`{{Key}}`, `{{Value}}`), so a value is stored as text, objects as JSON.
 *
 * Scope (`data.scope`), as SmythOS keeps it: `request` — readable only by the same run; `session` — the same
 * session, which is the run too until sessions exist (SmythOS's session id is per request unless the caller names
 * one); `ttl` — everyone, for `data.ttl` seconds; anything else (`''`, the Studio's `Session`) — everyone, for 3 hours.
 * SmythOS stores the scope beside the value and the value under a scope-specific key; one record
 * `{scope, scopeKey, value}` per key answers every read and delete the same way.
 *
 * These are ordinary components: SmythOS 1.7.42 declares none of them always-active or exclusive (`Component`
 * defaults, checked on its engine: a reader with nothing wired in never runs), so neither is declared here.
 */
import { z } from 'zod';
import type { ComponentContext, ComponentData, ComponentOutput, ComponentType } from '../engine/component.ts';
import { parseTemplate } from '../engine/template.ts';
import { numberSetting } from './llm-prompt.ts';

/** Lifetime of an entry whose scope is not `ttl`, seconds (SmythOS: 3 hours). */
export const DEFAULT_MEMORY_TTL_S = 3 * 60 * 60;

const text = (max: number) => z.string().max(max).optional();

/** `data` of MemoryWriteKeyVal: `memoryName`, `key`, `value` (templates), `scope`, `ttl` (300-604 800 s, or ''). */
export const memoryWriteConfig = z.looseObject({
  memoryName: text(255),
  key: text(255),
  value: text(100_000),
  scope: text(20),
  ttl: z.union([z.literal(''), numberSetting(300, 604_800)]).optional(),
});

/** `data` of MemoryReadKeyVal and MemoryDeleteKeyVal: `memoryName`, `key` (template). */
export const memoryKeyConfig = z.looseObject({ memoryName: text(255), key: text(255) });

/** What is stored per key: the value and the scope that guards it. */
interface MemoryRecord {
  scope: string;
  scopeKey: string;
  value: unknown;
}

const isRecord = (v: unknown): v is MemoryRecord => v !== null && typeof v === 'object' && 'scopeKey' in v;

/** The scope key a write stamps and a read must match: the run for `request`/`session`, `ttl`, or '' (shared). */
function scopeKeyFor(scope: unknown, context: ComponentContext): string {
  if (scope === 'session' || scope === 'request') return context.runId;
  return scope === 'ttl' ? 'ttl' : '';
}

/** `{memoryName, key}` of a component call; both as SmythOS builds its cache key (an unset one reads `undefined`). */
function address(input: Record<string, unknown>, component: ComponentData): { memoryName: string; key: string } {
  return { memoryName: String(component.data.memoryName), key: String(parseTemplate(component.data.key, input)) };
}

const NOT_FOUND = { _warning: 'key not found' };

/** The record at `memoryName`/`key` if this run may see it (its scope matches), else undefined. */
async function visible(context: ComponentContext, memoryName: string, key: string): Promise<MemoryRecord | undefined> {
  const stored = await context.memory.read(memoryName, key);
  if (stored === undefined || stored === null) return undefined;
  const record: MemoryRecord = isRecord(stored) ? stored : { scope: '', scopeKey: '', value: stored };
  if ((record.scope === 'session' || record.scope === 'request') && record.scopeKey !== context.runId) return undefined;
  return record;
}

/**
 * MemoryWriteKeyVal: stores `value` (templated) under `memoryName`/`key` (templated) → `{Key}`.
 * TTL: `data.ttl` seconds for scope `ttl` (none when unset), else {@link DEFAULT_MEMORY_TTL_S}.
 * Source: SRE `Components/MemoryWriteKeyVal.class.ts`.
 */
export const memoryWriteKeyVal: ComponentType = {
  name: 'MemoryWriteKeyVal',
  doc: 'Writes a value to the agent\'s persisted key/value memory. Config: `memoryName`, `key` and `value` (templates over the inputs, usually `{{Key}}` and `{{Value}}`), `scope` (`request`: this run only; `ttl`: everyone for `ttl` seconds, 300-604800; otherwise everyone for 3 hours). Output: `Key`.',
  configSchema: memoryWriteConfig,
  async process(input, component, context): Promise<ComponentOutput> {
    const { memoryName, key } = address(input, component);
    const scope = component.data.scope as string | undefined;
    const value = parseTemplate(component.data.value, input);
    const ttl = scope === 'ttl' ? Number(component.data.ttl) : DEFAULT_MEMORY_TTL_S;
    const record: MemoryRecord = { scope: scope ?? '', scopeKey: scopeKeyFor(scope, context), value };
    await context.memory.write(memoryName, key, record, ttl > 0 ? ttl : undefined);
    return { Key: parseTemplate(component.data.key, input) };
  },
};

/**
 * MemoryReadKeyVal: `memoryName`/`key` (templated) → `{Value}`, or `{_warning: 'key not found'}` (nothing fires) when
 * the key is missing, expired, or written under another run's `request`/`session` scope.
 * Source: SRE `Components/MemoryReadKeyVal.class.ts`.
 */
export const memoryReadKeyVal: ComponentType = {
  name: 'MemoryReadKeyVal',
  doc: 'Reads a value from the agent\'s persisted key/value memory. Config: `memoryName`, `key` (template, usually `{{Key}}`). Output: `Value`; a missing key (or one another run wrote with `request` scope) gives `_warning: "key not found"` and fires nothing.',
  configSchema: memoryKeyConfig,
  async process(input, component, context): Promise<ComponentOutput> {
    const { memoryName, key } = address(input, component);
    const record = await visible(context, memoryName, key);
    return record ? { Value: record.value } : NOT_FOUND;
  },
};

/**
 * MemoryDeleteKeyVal: removes `memoryName`/`key` (templated) → `{Key, deleted: true}`, or `{_warning: 'key not found'}`
 * as the reader. Source: SRE `Components/MemoryDeleteKeyVal.class.ts`.
 */
export const memoryDeleteKeyVal: ComponentType = {
  name: 'MemoryDeleteKeyVal',
  doc: 'Deletes a key from the agent\'s persisted key/value memory. Config: `memoryName`, `key` (template). Outputs: `Key` and `deleted` (true); a missing key gives `_warning: "key not found"`.',
  configSchema: memoryKeyConfig,
  async process(input, component, context): Promise<ComponentOutput> {
    const { memoryName, key } = address(input, component);
    if (!(await visible(context, memoryName, key))) return NOT_FOUND;
    await context.memory.delete(memoryName, key);
    return { Key: parseTemplate(component.data.key, input), deleted: true };
  },
};
