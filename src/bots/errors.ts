/**
 * The bots error catalogue. Messages are the original realm server's strings where it had one
 * (research/boxel-bot-runner.md §1.2-§1.7), so its clients and scripts that match on them keep
 * working; the body is its `{"errors":["<message>"]}` (routes.ts). `docs/errors.md` lists every code.
 */
import type { ErrorSpec } from '../lib/errors.ts';

/** Errors raised by the bots service and its routes. */
export const BotErrors = {
  userNotFound: { code: 'ORR_BOTS_USER_NOT_FOUND', kind: 'not_found', message: 'user is not found' },
  invalidJsonApi: { code: 'ORR_BOTS_INVALID_JSON_API', kind: 'invalid', message: 'Request body is not valid JSON-API - invalid JSON' },
  usernameRequired: { code: 'ORR_BOTS_USERNAME_REQUIRED', kind: 'invalid', message: 'username is required' },
  usernameMismatch: { code: 'ORR_BOTS_USERNAME_MISMATCH', kind: 'forbidden', message: 'username must match authenticated user' },
  globalAdminOnly: { code: 'ORR_BOTS_GLOBAL_ADMIN_ONLY', kind: 'forbidden', message: 'only an admin can register a global bot' },
  registrationIdRequired: { code: 'ORR_BOTS_REGISTRATION_ID_REQUIRED', kind: 'invalid', message: 'botRegistrationId is required' },
  registrationIdNotUuid: { code: 'ORR_BOTS_REGISTRATION_ID_NOT_UUID', kind: 'invalid', message: 'botRegistrationId must be a UUID' },
  registrationNotFound: { code: 'ORR_BOTS_REGISTRATION_NOT_FOUND', kind: 'not_found', message: 'bot registration is not found' },
  registrationForbidden: { code: 'ORR_BOTS_REGISTRATION_FORBIDDEN', kind: 'forbidden', message: 'bot registration belongs to a different user' },
  botIdRequired: { code: 'ORR_BOTS_BOT_ID_REQUIRED', kind: 'invalid', message: 'botId is required' },
  botIdNotUuid: { code: 'ORR_BOTS_BOT_ID_NOT_UUID', kind: 'invalid', message: 'botId must be a UUID' },
  filterRequired: { code: 'ORR_BOTS_FILTER_REQUIRED', kind: 'invalid', message: 'filter is required' },
  invalidFilter: { code: 'ORR_BOTS_INVALID_FILTER', kind: 'invalid', message: 'filter must be an object' },
  commandRequired: { code: 'ORR_BOTS_COMMAND_REQUIRED', kind: 'invalid', message: 'command is required' },
  invalidCommand: {
    code: 'ORR_BOTS_INVALID_COMMAND',
    kind: 'invalid',
    message: 'command must be echo, help, agent:<agentId>[@version]/<skill> or an http(s):// URL',
  },
  commandExists: { code: 'ORR_BOTS_COMMAND_EXISTS', kind: 'conflict', message: 'bot command already exists' },
  commandIdRequired: { code: 'ORR_BOTS_COMMAND_ID_REQUIRED', kind: 'invalid', message: 'botCommandId is required' },
  commandIdNotUuid: { code: 'ORR_BOTS_COMMAND_ID_NOT_UUID', kind: 'invalid', message: 'botCommandId must be a UUID' },
  commandNotFound: { code: 'ORR_BOTS_COMMAND_NOT_FOUND', kind: 'not_found', message: 'bot command is not found' },
  commandForbidden: { code: 'ORR_BOTS_COMMAND_FORBIDDEN', kind: 'forbidden', message: 'bot command belongs to a different user' },
  sessionBadJson: { code: 'ORR_BOTS_SESSION_BAD_JSON', kind: 'invalid', message: 'Request body is not valid JSON' },
  sessionMissingToken: {
    code: 'ORR_BOTS_SESSION_MISSING_TOKEN',
    kind: 'invalid',
    message: "Request body missing 'access_token' property",
  },
  sessionBadToken: { code: 'ORR_BOTS_SESSION_BAD_TOKEN', kind: 'unauthorized', message: 'OpenID token is invalid or expired' },
  webhookNeedsBot: { code: 'ORR_BOTS_WEBHOOK_NEEDS_BOT', kind: 'invalid', message: 'botId is required for a webhook command (it keys the signature)' },
  runCommandFailed: { code: 'ORR_BOTS_RUN_COMMAND_FAILED', kind: 'internal', message: 'Run command failed' },
  jobIdRequired: { code: 'ORR_BOTS_JOB_ID_REQUIRED', kind: 'invalid', message: 'job_id is required' },
  jobNotFound: { code: 'ORR_BOTS_JOB_NOT_FOUND', kind: 'not_found', message: 'job is not found' },
  jobForbidden: { code: 'ORR_BOTS_JOB_FORBIDDEN', kind: 'forbidden', message: 'job belongs to a different user' },
  jobFinished: { code: 'ORR_BOTS_JOB_FINISHED', kind: 'conflict', message: 'job has already finished' },
} as const satisfies Record<string, ErrorSpec>;
