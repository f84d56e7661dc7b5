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
import { botRunnerCommand } from './bot-runner.ts';
import { botsCommand } from './bots.ts';
import { workerCommand } from './worker.ts';
import { agentCommand } from './agent.ts';

const program = new Command('orrery')
  .description('Orrery: a self-hosted runtime where bots and agents live.')
  .version(VERSION, '-v, --version')
  .showHelpAfterError();

program.addCommand(startCommand());
program.addCommand(migrateCommand());
program.addCommand(adminCommand());
program.addCommand(connectCommand());
program.addCommand(botRunnerCommand());
program.addCommand(botsCommand());
program.addCommand(workerCommand());
program.addCommand(agentCommand());

await program.parseAsync(process.argv);
