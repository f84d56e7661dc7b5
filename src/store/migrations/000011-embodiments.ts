/**
 * 000011 — embodiment settings per agent (issue 12 item 7; src/agents/embodiment-settings.ts):
 * `agents.embodiments`, JSON text `{openai|mcp|openapi|chat|alexa: {enabled, allowedOrigins}, chatModel}`,
 * null for the defaults (everything but Alexa on, no browser origins, the server's chat model).
 */
import type { Kysely } from 'kysely';

/** Adds the column. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('agents').addColumn('embodiments', 'text').execute();
}

/** Drops the column. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('agents').dropColumn('embodiments').execute();
}
