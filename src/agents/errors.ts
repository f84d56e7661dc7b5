/**
 * The agents error catalogue (`/api/agents`, docs/errors.md). Another user's agent is answered as
 * {@link AgentErrors.notFound}, never as a 403, so an agent's existence does not leak.
 */
import type { ErrorSpec } from '../lib/errors.ts';
import type { AgentProblem } from './types.ts';

/** Errors raised by the agents service and its routes. */
export const AgentErrors = {
  notFound: { code: 'ORR_AGENTS_NOT_FOUND', kind: 'not_found', message: 'agent not found' },
  versionNotFound: { code: 'ORR_AGENTS_VERSION_NOT_FOUND', kind: 'not_found', message: 'agent version not found' },
  runNotFound: { code: 'ORR_AGENTS_RUN_NOT_FOUND', kind: 'not_found', message: 'run not found' },
  keyNotFound: { code: 'ORR_AGENTS_KEY_NOT_FOUND', kind: 'not_found', message: 'key not found' },
  documentRequired: { code: 'ORR_AGENTS_DOCUMENT_REQUIRED', kind: 'invalid', message: 'the request body must be a .smyth agent (JSON)' },
  invalidDocument: { code: 'ORR_AGENTS_INVALID_DOCUMENT', kind: 'invalid', message: 'the agent has problems' },
  invalidVersion: { code: 'ORR_AGENTS_INVALID_VERSION', kind: 'invalid', message: 'version must be <major>.<minor>, e.g. 1.2' },
  versionExists: { code: 'ORR_AGENTS_VERSION_EXISTS', kind: 'conflict', message: 'this version is already deployed' },
  invalidKeyName: {
    code: 'ORR_AGENTS_INVALID_KEY_NAME',
    kind: 'invalid',
    message: 'key names are 1-100 characters: letters, digits, _ . -',
  },
} as const satisfies Record<string, ErrorSpec>;

/**
 * Import problems as the 400 body's `problems` field: `{severity, component_id?, title?, path, message}`
 * (the API's snake_case; the same shape as `problems` of a successful import).
 */
export function problemsJson(problems: readonly AgentProblem[]): Array<Record<string, string>> {
  return problems.map((p) => ({
    severity: p.severity,
    ...(p.componentId !== undefined ? { component_id: p.componentId } : {}),
    ...(p.title !== undefined ? { title: p.title } : {}),
    path: p.path,
    message: p.message,
  }));
}
