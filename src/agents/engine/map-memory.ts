/**
 * Agent memory held in a Map for one process's lifetime: what `orrery agent run` (no database) and
 * in-process tests give the Memory components. TTLs are ignored: nothing here outlives the process.
 */
import type { AgentMemory } from './component.ts';

/** A Map-backed {@link AgentMemory}; `entries` is exposed for tests. */
export function createMapMemory(): AgentMemory & { entries: Map<string, unknown> } {
  const entries = new Map<string, unknown>();
  const at = (name: string, key: string) => `${name}\u0000${key}`;
  return {
    entries,
    read: async (name, key) => entries.get(at(name, key)),
    write: async (name, key, value) => void entries.set(at(name, key), value),
    delete: async (name, key) => void entries.delete(at(name, key)),
  };
}
