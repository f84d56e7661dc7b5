/**
 * Every error code Orrery can answer with, gathered from each module's catalogue. `docs/errors.md`
 * lists exactly these (checked by test/server/error-catalogue.test.ts).
 */
import { PlatformErrors, type ErrorSpec } from '../lib/errors.ts';
import { AccountErrors } from '../accounts/errors.ts';
import { RoomErrors } from '../rooms/errors.ts';
import { RuntimeErrors } from '../runtime/errors.ts';
import { MatrixErrors } from '../matrix/errors.ts';
import { BotErrors } from '../bots/errors.ts';
import { QueueErrors } from '../queue/admin-routes.ts';
import { AgentErrors } from '../agents/errors.ts';

/** All catalogue entries, by module. */
export const ERROR_CATALOGUE: Record<string, Record<string, ErrorSpec>> = {
  platform: PlatformErrors,
  accounts: AccountErrors,
  rooms: RoomErrors,
  runtime: RuntimeErrors,
  matrix: MatrixErrors,
  bots: BotErrors,
  queue: QueueErrors,
  agents: AgentErrors,
};
