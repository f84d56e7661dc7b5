/**
 * Per-agent key/value memory (MemoryWriteKeyVal / ReadKeyVal / DeleteKeyVal; research/smythos.md
 * §1.5), persisted in `agent_memory` so it outlives the run and the process, on both databases.
 * Values are stored as JSON text; an entry past its expiry reads as missing and is removed then.
 */
import type { Clock } from '../lib/clock.ts';
import type { AgentMemory } from './engine/component.ts';
import type { AgentsStore } from './store.ts';

/** Marker stored for a value JSON cannot hold (a BigInt, a cycle): the write never throws for it. */
const UNSERIALIZABLE = '[unserializable value]';

function toJson(value: unknown): string {
  try {
    return JSON.stringify(value === undefined ? null : value) ?? 'null';
  } catch {
    return JSON.stringify(UNSERIALIZABLE);
  }
}

/**
 * The memory of agent `agentId`. `write(…, ttlS)`: the entry expires `ttlS` seconds after the write
 * (by `clock`); no `ttlS`, 0, a negative or a non-finite value: never. `read` answers undefined for a
 * missing or expired entry.
 */
export function createAgentMemory(store: AgentsStore, clock: Clock, agentId: string): AgentMemory {
  return {
    async read(memoryName, key) {
      const row = await store.findMemory(agentId, memoryName, key);
      if (!row) return undefined;
      const now = clock.now();
      if (row.expires_at !== null && row.expires_at <= now) {
        await store.deleteMemory(agentId, memoryName, key, now);
        return undefined;
      }
      try {
        return JSON.parse(row.value) as unknown;
      } catch {
        return row.value;
      }
    },
    async write(memoryName, key, value, ttlS) {
      const expiresAt = ttlS !== undefined && Number.isFinite(ttlS) && ttlS > 0 ? clock.now() + Math.round(ttlS * 1000) : null;
      await store.upsertMemory(agentId, memoryName, key, toJson(value), expiresAt);
    },
    async delete(memoryName, key) {
      await store.deleteMemory(agentId, memoryName, key);
    },
  };
}
