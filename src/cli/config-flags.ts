/**
 * CLI flags that override environment variables, shared by the subcommands that load config.
 */
import type { Command } from 'commander';
import { ConfigError, loadConfig, type Config, type ConfigOverrides } from '../config/load.ts';

/** Flag → environment variable. */
const FLAGS: Array<[flag: string, env: keyof ConfigOverrides, help: string]> = [
  ['--port <port>', 'PORT', 'main HTTP port (PORT)'],
  ['--admin-port <port>', 'ADMIN_PORT', 'admin port on 127.0.0.1 (ADMIN_PORT)'],
  ['--host <host>', 'HOST', 'interface to bind (HOST)'],
  ['--data-path <dir>', 'DATA_PATH', 'data folder (DATA_PATH)'],
  ['--database-url <url>', 'DATABASE_URL', 'postgres://… or unset for SQLite (DATABASE_URL)'],
  ['--mode <modes>', 'SERVER_MODE', 'runtime | agent | debugger | embodiment, or a comma list (SERVER_MODE)'],
  ['--server-name <name>', 'SERVER_NAME', 'Matrix server name (SERVER_NAME)'],
  ['--log-level <level>', 'LOG_LEVEL', 'pino log level (LOG_LEVEL)'],
];

/** Adds the config flags to `command`. */
export function withConfigFlags(command: Command): Command {
  for (const [flag, , help] of FLAGS) command.option(flag, help);
  return command;
}

/** Load config from env + the parsed flags; on error print one line and exit 1. */
export function configFromFlags(options: Record<string, string | undefined>): Config {
  const overrides: ConfigOverrides = {};
  for (const [flag, env] of FLAGS) {
    const key = flag.slice(2).split(' ')[0]!.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (options[key] !== undefined) overrides[env] = options[key];
  }
  try {
    return loadConfig(process.env, overrides);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`orrery: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
