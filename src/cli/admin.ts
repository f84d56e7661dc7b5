/**
 * `orrery admin …`: account administration from the shell (works whatever REGISTRATION_POLICY says).
 */
import { Command } from 'commander';
import type { AccountsService } from '../accounts/service.ts';
import { withConfigFlags } from './config-flags.ts';
import { withServices } from './with-services.ts';

/** Run `fn` over the accounts service (see with-services.ts). */
function withAccounts(options: Record<string, string | undefined>, fn: (accounts: AccountsService) => Promise<string>): Promise<void> {
  return withServices(options, (services) => fn(services.accounts));
}

/** Builds the `admin` subcommand group. */
export function adminCommand(): Command {
  const admin = new Command('admin').description('administer accounts');
  admin.addCommand(
    withConfigFlags(new Command('create-user'))
      .description('create an account (ignores the registration policy)')
      .argument('<username>', 'localpart or @localpart:server_name')
      .option('--password <password>', 'password (or ORRERY_PASSWORD)')
      .option('--admin', 'make the account an admin')
      .action(async (username: string, options: Record<string, string | undefined>) => {
        const password = options.password ?? process.env.ORRERY_PASSWORD;
        if (!password) {
          process.stderr.write('orrery: --password or ORRERY_PASSWORD is required\n');
          process.exitCode = 1;
          return;
        }
        await withAccounts(options, async (accounts) => {
          const user = await accounts.createUser({ username, password, isAdmin: Boolean(options.admin) });
          return `created ${user.userId}${user.isAdmin ? ' (admin)' : ''}`;
        });
      }),
  );
  admin.addCommand(
    withConfigFlags(new Command('revoke-sessions'))
      .description("revoke every session and token of a user")
      .argument('<username>', 'localpart or @localpart:server_name')
      .action(async (username: string, options: Record<string, string | undefined>) => {
        await withAccounts(options, async (accounts) => {
          const user = await accounts.getUser(username);
          await accounts.revokeAllSessions(user.userId);
          return `revoked all sessions of ${user.userId}`;
        });
      }),
  );
  admin.addCommand(
    withConfigFlags(new Command('list-users'))
      .description('list accounts')
      .action(async (options: Record<string, string | undefined>) => {
        await withAccounts(options, async (accounts) =>
          (await accounts.listUsers()).map((u) => `${u.userId}${u.isAdmin ? ' admin' : ''}`).join('\n') || '(no users)',
        );
      }),
  );
  return admin;
}
