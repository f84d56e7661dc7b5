/**
 * Services for running agents in-process in tests: memory in a Map, private network allowed (tests
 * talk to local servers), and the echo model answering its prompt.
 */
import type { AgentMemory } from '../../src/agents/engine/component.ts';
import type { EngineServices } from '../../src/agents/engine/types.ts';

/** A Map-backed AgentMemory (TTL ignored). */
export function mapMemory(): AgentMemory & { entries: Map<string, unknown> } {
  const entries = new Map<string, unknown>();
  return {
    entries,
    read: async (name, key) => entries.get(`${name}\u0000${key}`),
    write: async (name, key, value) => void entries.set(`${name}\u0000${key}`, value),
    delete: async (name, key) => void entries.delete(`${name}\u0000${key}`),
  };
}

/** Engine services for tests; override any part. */
export function testServices(overrides: Partial<EngineServices> = {}): EngineServices {
  return {
    memory: mapMemory(),
    http: { allowPrivateNetwork: true, timeoutMs: 5_000 },
    generate: async ({ model, prompt }) => {
      if (model.toLowerCase() === 'echo') return prompt;
      throw new Error(`model ${model} is not available in tests`);
    },
    ...overrides,
  };
}
