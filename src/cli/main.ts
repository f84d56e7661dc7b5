#!/usr/bin/env node
/**
 * The `orrery` command (DESIGN §3): one file per subcommand, this file is the table of them.
 */
import { Command } from 'commander';
import { VERSION } from '../lib/paths.ts';
import { startCommand } from './start.ts';
import { migrateCommand } from './migrate.ts';
import { adminCommand } from './admin.ts';
import { connectCommand } from '../connect/main.ts';

const program = new Command('orrery')
  .description('Orrery: a self-hosted runtime where bots and agents live.')
  .version(VERSION, '-v, --version')
  .showHelpAfterError();

program.addCommand(startCommand());
program.addCommand(migrateCommand());
program.addCommand(adminCommand());
program.addCommand(connectCommand());

await program.parseAsync(process.argv);
