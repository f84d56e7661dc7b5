/**
 * Entry of the bot process: parse options, pick the model, run, stop cleanly on SIGINT/SIGTERM.
 * Used by `orrery connect` and by `scripts/runtime-service.mjs` (the seed's entry point).
 */
import { Command } from 'commander';
import { createEchoProvider } from '../llm/echo/provider.ts';
import { createOpenAiCompatibleProvider } from '../llm/openai-compatible/provider.ts';
import type { LlmProvider } from '../llm/types.ts';
import { createConnectBot, timestamp } from './bot.ts';
import { addConnectFlags, MissingArgError, resolveConnectOptions, type ConnectOptions } from './options.ts';

/** The model the options ask for: `echo`, or any OpenAI-compatible endpoint. */
export function providerFor(o: ConnectOptions): LlmProvider {
  return o.openaiModel === 'echo'
    ? createEchoProvider()
    : createOpenAiCompatibleProvider({ apiKey: o.openaiKey, model: o.openaiModel, baseUrl: o.openaiBaseUrl, api: o.openaiApi });
}

/** Run the bot with already-parsed flags; exits the process on fatal errors. */
export async function runConnect(flags: Record<string, string | boolean | undefined>): Promise<void> {
  let options: ConnectOptions;
  try {
    options = resolveConnectOptions(flags);
  } catch (error) {
    if (error instanceof MissingArgError) {
      process.stderr.write(`[${timestamp()}] fatal: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const bot = createConnectBot({ options, llm: providerFor(options) });
  process.once('SIGINT', () => void bot.stop('SIGINT'));
  process.once('SIGTERM', () => void bot.stop('SIGTERM'));
  await bot.run();
}

/** The `connect` command (also the whole program of `scripts/runtime-service.mjs`). */
export function connectCommand(name = 'connect'): Command {
  return addConnectFlags(new Command(name).description('run a bring-your-own bot against Runtime Connect')).action(
    async (flags: Record<string, string | boolean | undefined>) => {
      try {
        await runConnect(flags);
      } catch (error) {
        process.stderr.write(`[${timestamp()}] fatal: ${(error as Error).message}\n`);
        process.exit(1);
      }
    },
  );
}
