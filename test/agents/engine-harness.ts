/**
 * Services for running agents in-process in tests: memory in a Map, private network allowed (tests
 * talk to local servers), and the echo model answering its prompt.
 */
import { createMapMemory } from '../../src/agents/engine/map-memory.ts';
import type { EngineServices } from '../../src/agents/engine/types.ts';

/** Engine services for tests; override any part. */
export function testServices(overrides: Partial<EngineServices> = {}): EngineServices {
  return {
    memory: createMapMemory(),
    http: { allowPrivateNetwork: true, timeoutMs: 5_000 },
    generate: async ({ model, prompt }) => {
      if (model.toLowerCase() === 'echo') return prompt;
      throw new Error(`model ${model} is not available in tests`);
    },
    ...overrides,
  };
}
