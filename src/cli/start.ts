/**
 * `orrery start`: the server with every module `SERVER_MODE` selects, UI included.
 */
import { Command } from 'commander';
import { configFromFlags, withConfigFlags } from './config-flags.ts';

/** Builds the `start` subcommand. */
export function startCommand(): Command {
  return withConfigFlags(new Command('start').description('start the server (API, UI, admin port)')).action(
    async (options: Record<string, string | undefined>) => {
      const config = configFromFlags(options);
      // Loaded here, not at the top: `orrery --help` and the other subcommands need none of the server.
      const { exitOnSignals, startOrrery } = await import('../main.ts');
      try {
        const running = await startOrrery(config);
        exitOnSignals(running);
      } catch (error) {
        const e = error as NodeJS.ErrnoException;
        process.stderr.write(`orrery: could not start: ${e.code === 'EADDRINUSE' ? `port in use (${e.message})` : e.message}\n`);
        process.exit(1);
      }
    },
  );
}
