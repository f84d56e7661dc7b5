/**
 * Agents SQL: the only file that queries `agents`, `agent_versions`, `agent_keys`, `agent_runs`,
 * `agent_calls` and `agent_memory` (migration 000008). Rows keep the tables' shapes (JSON text, 0/1,
 * ms times); the service, the vault, the memory and the run recorder turn them into values.
 */
import { CompiledQuery, type Kysely, type Selectable } from 'kysely';
import { isUniqueViolation } from '../store/database.ts';
import type { Database } from '../store/schema.ts';

/** An `agents` row. */
export type AgentRow = Selectable<Database['agents']>;
/** An `agents` row without its document (what most reads need). */
export type AgentMetaRow = Omit<AgentRow, 'document' | 'mock_data'>;
/** An `agent_versions` row. */
export type VersionRow = Selectable<Database['agent_versions']>;
/** An `agent_keys` row. */
export type KeyRow = Selectable<Database['agent_keys']>;
/** An `agent_runs` row. */
export type RunRow = Selectable<Database['agent_runs']>;
/** An `agent_calls` row. */
export type CallRow = Selectable<Database['agent_calls']>;

/** Settings a PATCH may change (plus `updated_at`). */
export type AgentUpdate = Partial<Pick<AgentRow, 'name' | 'document' | 'skill_access' | 'skill_key_name' | 'debug_enabled' | 'mock_data' | 'embodiments'>> & { updated_at: number };

const META_COLUMNS = ['id', 'owner_id', 'name', 'skill_access', 'skill_key_name', 'debug_enabled', 'embodiments', 'created_at', 'updated_at'] as const;
const META_BY_ID = `select ${META_COLUMNS.join(', ')} from agents where id = `;
const META_BY_ID_SQLITE = `${META_BY_ID}?`;
const META_BY_ID_POSTGRES = `${META_BY_ID}$1`;
const KEYS_OF = 'select * from agent_keys where agent_id = ';
const KEYS_OF_SQLITE = `${KEYS_OF}? order by name`;
const KEYS_OF_POSTGRES = `${KEYS_OF}$1 order by name`;
/** Rows per INSERT, under SQLite's 32 766 bound parameters (17 columns a run, 13 a call). */
const RUNS_PER_INSERT = 500;
const CALLS_PER_INSERT = 1000;

const RUN_COLUMNS = [
  'id', 'agent_id', 'version', 'method', 'skill', 'status', 'input', 'result', 'error', 'http_status', 'caller_id',
  'correlation_id', 'parent_run_id', 'debug_session_id', 'steps', 'started_at', 'ended_at',
] as const satisfies readonly (keyof RunRow)[];
const CALL_COLUMNS = [
  'run_id', 'seq', 'component_id', 'component_name', 'title', 'step', 'source_id', 'input', 'output', 'error', 'started_at', 'ended_at', 'logs',
] as const satisfies readonly (keyof CallRow)[];
/**
 * SQLite's hot path for the run recorder: one prepared statement per row kind (the driver caches it
 * by text), executed per row inside the batch's transaction. Building a many-row INSERT through the
 * query builder cost more than running it (~0.3 ms of CPU a run at 1,000 runs/s).
 */
const SQLITE_INSERT_RUN = `insert into agent_runs (${RUN_COLUMNS.join(', ')}) values (${RUN_COLUMNS.map(() => '?').join(', ')})
  on conflict (id) do update set status = excluded.status, result = excluded.result, error = excluded.error,
  http_status = excluded.http_status, steps = excluded.steps, ended_at = excluded.ended_at`;
const SQLITE_INSERT_CALL = `insert into agent_calls (${CALL_COLUMNS.join(', ')}) values (${CALL_COLUMNS.map(() => '?').join(', ')})
  on conflict (run_id, seq) do nothing`;

function chunks<T>(rows: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/** Builds the agents queries over `db`; `dialect` picks SQLite's prepared-statement path for run records. */
export function createAgentsStore(db: Kysely<Database>, dialect: 'sqlite' | 'postgres') {
  return {
    async insertAgent(row: AgentRow): Promise<void> {
      await db.insertInto('agents').values(row).execute();
    },
    findAgent: (id: string) => db.selectFrom('agents').selectAll().where('id', '=', id).executeTakeFirst(),
    /** The agent's mock data (JSON text), or null. */
    findMockData: async (id: string): Promise<string | null> => (await db.selectFrom('agents').select('mock_data').where('id', '=', id).executeTakeFirst())?.mock_data ?? null,
    /** Every skill call reads this: one fixed text, so the driver's statement is reused and nothing is built per call. */
    findAgentMeta: async (id: string): Promise<AgentMetaRow | undefined> =>
      (await db.executeQuery<AgentMetaRow>(CompiledQuery.raw(dialect === 'sqlite' ? META_BY_ID_SQLITE : META_BY_ID_POSTGRES, [id]))).rows[0],
    /** Agents of `ownerId` (every agent when undefined), oldest first. */
    listAgents: (ownerId?: string): Promise<AgentMetaRow[]> => {
      let q = db.selectFrom('agents').select(META_COLUMNS);
      if (ownerId !== undefined) q = q.where('owner_id', '=', ownerId);
      return q.orderBy('created_at').orderBy('id').execute();
    },
    async updateAgent(id: string, update: AgentUpdate): Promise<void> {
      await db.updateTable('agents').set(update).where('id', '=', id).execute();
    },
    /** Deletes an agent and everything it owns, in one transaction; false when there was none. */
    deleteAgent: (id: string): Promise<boolean> =>
      db.transaction().execute(async (trx) => {
        await trx.deleteFrom('agent_calls').where('run_id', 'in', trx.selectFrom('agent_runs').select('id').where('agent_id', '=', id)).execute();
        await trx.deleteFrom('agent_runs').where('agent_id', '=', id).execute();
        await trx.deleteFrom('agent_memory').where('agent_id', '=', id).execute();
        await trx.deleteFrom('agent_keys').where('agent_id', '=', id).execute();
        await trx.deleteFrom('agent_versions').where('agent_id', '=', id).execute();
        const r = await trx.deleteFrom('agents').where('id', '=', id).executeTakeFirst();
        return Number(r.numDeletedRows) > 0;
      }),

    /** Inserts a version and bumps the agent's `updated_at`; false when that version exists. */
    insertVersion: (row: VersionRow): Promise<boolean> =>
      db
        .transaction()
        .execute(async (trx) => {
          await trx.insertInto('agent_versions').values(row).execute();
          await trx.updateTable('agents').set({ updated_at: row.created_at }).where('id', '=', row.agent_id).execute();
          return true;
        })
        .catch((error: unknown) => {
          if (isUniqueViolation(error)) return false;
          throw error;
        }),
    /** Versions of an agent without their documents, in no particular order. */
    listVersions: (agentId: string) => db.selectFrom('agent_versions').select(['version', 'created_at', 'created_by']).where('agent_id', '=', agentId).execute(),
    findVersion: (agentId: string, version: string) =>
      db.selectFrom('agent_versions').selectAll().where('agent_id', '=', agentId).where('version', '=', version).executeTakeFirst(),

    /** Inserts or replaces a vault entry; true when it was new. */
    async upsertKey(row: KeyRow): Promise<boolean> {
      try {
        await db.insertInto('agent_keys').values(row).execute();
        return true;
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        await db.updateTable('agent_keys').set({ ciphertext: row.ciphertext, updated_at: row.updated_at }).where('agent_id', '=', row.agent_id).where('name', '=', row.name).execute();
        return false;
      }
    },
    /** Vault entries of an agent (ciphertexts included), by name. */
    /** Every skill call reads this too (the vault): a fixed text, as {@link findAgentMeta}. */
    listKeys: async (agentId: string): Promise<KeyRow[]> =>
      (await db.executeQuery<KeyRow>(CompiledQuery.raw(dialect === 'sqlite' ? KEYS_OF_SQLITE : KEYS_OF_POSTGRES, [agentId]))).rows,
    findKey: (agentId: string, name: string) => db.selectFrom('agent_keys').selectAll().where('agent_id', '=', agentId).where('name', '=', name).executeTakeFirst(),
    /** Removes a vault entry; false when there was none. */
    async deleteKey(agentId: string, name: string): Promise<boolean> {
      const r = await db.deleteFrom('agent_keys').where('agent_id', '=', agentId).where('name', '=', name).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },

    /**
     * Writes runs and their calls in one transaction (the run recorder's batch). A run recorded again
     * (a `running` row, then its end) is updated; a call already written is kept.
     */
    insertRunsWithCalls: (runs: readonly RunRow[], calls: readonly CallRow[]): Promise<void> =>
      db.transaction().execute(async (trx) => {
        if (dialect === 'sqlite') {
          for (const run of runs) await trx.executeQuery(CompiledQuery.raw(SQLITE_INSERT_RUN, RUN_COLUMNS.map((c) => run[c])));
          for (const call of calls) await trx.executeQuery(CompiledQuery.raw(SQLITE_INSERT_CALL, CALL_COLUMNS.map((c) => call[c])));
          return;
        }
        for (const part of chunks(runs, RUNS_PER_INSERT)) {
          await trx
            .insertInto('agent_runs')
            .values(part)
            .onConflict((oc) =>
              oc.column('id').doUpdateSet((eb) => ({
                status: eb.ref('excluded.status'),
                result: eb.ref('excluded.result'),
                error: eb.ref('excluded.error'),
                http_status: eb.ref('excluded.http_status'),
                steps: eb.ref('excluded.steps'),
                ended_at: eb.ref('excluded.ended_at'),
              })),
            )
            .execute();
        }
        for (const part of chunks(calls, CALLS_PER_INSERT)) {
          await trx
            .insertInto('agent_calls')
            .values(part)
            .onConflict((oc) => oc.columns(['run_id', 'seq']).doNothing())
            .execute();
        }
      }),
    findRun: (runId: string) => db.selectFrom('agent_runs').selectAll().where('id', '=', runId).executeTakeFirst(),
    /** An agent's runs, newest first, strictly before the run `before` (`{startedAt, id}`) when given. */
    listRuns: (agentId: string, limit: number, before?: { startedAt: number; id: string }): Promise<RunRow[]> => {
      let q = db.selectFrom('agent_runs').selectAll().where('agent_id', '=', agentId);
      if (before) q = q.where((eb) => eb.or([eb('started_at', '<', before.startedAt), eb.and([eb('started_at', '=', before.startedAt), eb('id', '<', before.id)])]));
      return q.orderBy('started_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    },
    /** A run's calls in call order. */
    listCalls: (runId: string): Promise<CallRow[]> => db.selectFrom('agent_calls').selectAll().where('run_id', '=', runId).orderBy('seq').execute(),

    findMemory: (agentId: string, memoryName: string, key: string) =>
      db.selectFrom('agent_memory').select(['value', 'expires_at']).where('agent_id', '=', agentId).where('memory_name', '=', memoryName).where('key', '=', key).executeTakeFirst(),
    async upsertMemory(agentId: string, memoryName: string, key: string, value: string, expiresAt: number | null): Promise<void> {
      await db
        .insertInto('agent_memory')
        .values({ agent_id: agentId, memory_name: memoryName, key, value, expires_at: expiresAt })
        .onConflict((oc) => oc.columns(['agent_id', 'memory_name', 'key']).doUpdateSet({ value, expires_at: expiresAt }))
        .execute();
    },
    /** Deletes one entry; with `expiredBy`, only when it expired at or before that instant (ms). */
    async deleteMemory(agentId: string, memoryName: string, key: string, expiredBy?: number): Promise<void> {
      let q = db.deleteFrom('agent_memory').where('agent_id', '=', agentId).where('memory_name', '=', memoryName).where('key', '=', key);
      if (expiredBy !== undefined) q = q.where('expires_at', '<=', expiredBy);
      await q.execute();
    },
  };
}

/** The agents store's API. */
export type AgentsStore = ReturnType<typeof createAgentsStore>;
