/**
 * The `echo` model: deterministic, offline, no key. For demos and tests only — it answers with the
 * message it was given, so a bot can be tried end to end without any model service.
 */
import type { GenerateRequest, LlmProvider } from '../types.ts';

/** Reply `echo: <input without its "<sender>: " prefix>`. */
export function createEchoProvider(): LlmProvider {
  return {
    name: 'echo',
    model: 'echo',
    async generate(request: GenerateRequest): Promise<string> {
      const text = request.input.replace(/^[^:]{1,80}:\s*/, '').trim();
      return `echo: ${text}`;
    },
  };
}
