/**
 * `orrery bots register`: register a user as a bot and add its commands in one step, on Orrery's
 * database (issue 9 item 5; what the original's `setup-submission-bot` seeding client does over
 * HTTP). Idempotent: the user's existing registration of the same kind is reused and a command
 * already there is reported, not added twice.
 *
 *   orrery bots register @alice:example.org --command '!echo=echo' --command '/weather (\w+)/=https://hooks.example.org/w'
 *
 * A command is `<trigger>=<command>`; the trigger is one of
 *   `!word`             messages starting with it (a prefix filter)
 *   `@mention`          messages mentioning the bot runner
 *   `/regex/flags`      messages whose body matches
 *   `trigger:<type>`    the original's `app.boxel.bot-trigger` events with `content.type` = <type>
 *   `{…}`               a filter as JSON (docs/bot-runner.md "Filters")
 */
import { Command } from 'commander';
import { BotErrors } from '../bots/errors.ts';
import { DomainError } from '../lib/errors.ts';
import { withConfigFlags } from './config-flags.ts';
import { withServices } from './with-services.ts';

/** The filter a `<trigger>` of the command line stands for. @throws Error naming what is wrong */
export function filterOfTrigger(trigger: string): Record<string, unknown> {
  const message = { type: 'matrix-event', event_type: 'm.room.message' };
  if (trigger.startsWith('{')) {
    try {
      return JSON.parse(trigger) as Record<string, unknown>;
    } catch {
      throw new Error(`the filter ${trigger} is not valid JSON`);
    }
  }
  if (trigger === '@mention') return { ...message, mention: true };
  if (trigger.startsWith('trigger:')) return { type: 'matrix-event', event_type: 'app.boxel.bot-trigger', content_type: trigger.slice('trigger:'.length) };
  const regex = /^\/(.+)\/([a-z]*)$/s.exec(trigger);
  if (regex) return { ...message, regex: regex[1], ...(regex[2] ? { flags: regex[2] } : {}) };
  if (/^\S+$/.test(trigger)) return { ...message, prefix: trigger };
  throw new Error(`unknown trigger "${trigger}": use !word, @mention, /regex/, trigger:<type> or a JSON filter`);
}

/**
 * Split `<trigger>=<command>` at the first `=` whose right side is a command (a regex trigger may
 * hold `=`, a webhook URL's query too). @throws Error when no split gives a command
 */
export function splitCommand(spec: string): { trigger: string; command: string } {
  for (let i = spec.indexOf('='); i > 0; i = spec.indexOf('=', i + 1)) {
    const command = spec.slice(i + 1).trim();
    if (/^(echo|help|agent:\S+|https?:\/\/\S+)$/.test(command)) return { trigger: spec.slice(0, i).trim(), command };
  }
  throw new Error(`"${spec}" is not <trigger>=<command> (command: echo, help, agent:<id>/<skill> or a webhook URL)`);
}

/** Builds the `bots` subcommand group. */
export function botsCommand(): Command {
  const bots = new Command('bots').description('bot registrations and commands');
  bots.addCommand(
    withConfigFlags(new Command('register'))
      .description('register a user as a bot and add its commands (idempotent)')
      .argument('<username>', 'the Matrix user id (or localpart) to register')
      .option('--global', "a global registration: its commands apply to every sender's events (admins only)")
      .option('--command <trigger=command>', 'a command to add; repeatable', (value: string, all: string[] = []) => [...all, value])
      .action(async (username: string, options: Record<string, string | undefined> & { command?: string[]; global?: boolean }) => {
        let commands: Array<{ trigger: string; command: string; filter: Record<string, unknown> }>;
        try {
          commands = (options.command ?? []).map((spec) => {
            const parsed = splitCommand(spec);
            return { ...parsed, filter: filterOfTrigger(parsed.trigger) };
          });
        } catch (error) {
          process.stderr.write(`orrery: ${(error as Error).message}\n`);
          process.exitCode = 1;
          return;
        }
        await withServices(options, async ({ accounts, bots: service }) => {
          const user = await accounts.getUser(username);
          const global = Boolean(options.global);
          const lines: string[] = [];
          let registration = (await service.listRegistrations(user)).find((r) => r.global === global);
          if (registration) {
            lines.push(`registration ${registration.id} for ${user.userId}${global ? ' (global)' : ''}: already there`);
          } else {
            const created = await service.register(user, { username: user.userId, global });
            registration = created;
            lines.push(`registration ${created.id} for ${user.userId}${global ? ' (global)' : ''}: created; webhook secret ${created.webhookSecret}`);
          }
          const existing = await service.listCommands(user, registration.id);
          for (const c of commands) {
            const same = existing.find((e) => e.command === c.command && JSON.stringify(e.filter) === JSON.stringify(c.filter));
            if (same) {
              lines.push(`command ${same.id} ${c.trigger} → ${c.command}: already there`);
              continue;
            }
            try {
              const added = await service.addCommand(user, { botId: registration.id, command: c.command, filter: c.filter });
              lines.push(`command ${added.id} ${c.trigger} → ${c.command}: added`);
            } catch (error) {
              // The same filter spelled with its keys in another order, or a run at the same time.
              if (!(error instanceof DomainError && error.code === BotErrors.commandExists.code)) throw error;
              lines.push(`command ${c.trigger} → ${c.command}: already there`);
            }
          }
          return lines.join('\n');
        });
      }),
  );
  return bots;
}
