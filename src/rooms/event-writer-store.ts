/**
 * Rooms SQL: the event writer. Every event write goes through one queue per process and is stored
 * in order, in transactions that serialize with every other writer (PostgreSQL: {@link EVENTS_WRITE_LOCK};
 * SQLite has one writer). Sends that arrive while a transaction is running are written together in
 * the next one (group commit, as Synapse's per-room persistence queue does): one lock, one commit,
 * one multi-row INSERT and the room's rules read once for the whole batch, instead of all of that
 * per event. Each send keeps its own outcome: its transaction-id lookup, authorization and guard run
 * in batch order against the state as the earlier sends of the batch left it.
 *
 * Why not Synapse's other half, positions from a sequence with writers in parallel and readers held
 * back to the lowest position still in flight: that needs every reader, on every instance, to know
 * the positions other instances have taken but not committed (Synapse keeps one writer process per
 * stream and tells the others over replication). Without it, a reader that saw 11 before 10 committed
 * would skip 10 for ever. Orrery's rules (bans, power levels, rate limits, transaction ids) are also
 * checked against the state left by every earlier write, which parallel writers would not see.
 * Batching removes the per-event cost instead: the lock and the commit are paid once per batch
 * (docs/PERFORMANCE.md has the figures).
 */
import { sql, type Kysely } from 'kysely';
import { DomainError } from '../lib/errors.ts';
import { isUniqueViolation, type Dialect } from '../store/database.ts';
import type { Database } from '../store/schema.ts';
import type { EventRow, InsertOptions, InsertResult, NewEventRow, StateReader } from './store.ts';
import type { SendCount, SendGuard, SendStats } from './types.ts';

/**
 * PostgreSQL advisory lock (key pair `'orry'`, 1) held by every event-writing transaction until it
 * commits. Without it, concurrent transactions take `stream_ordering` values in one order and commit in
 * another: a reader could see position 11 before 10 commits, and its cursor would skip 10 forever.
 * Also, a READ COMMITTED check-then-insert (rate limits) would not see its rivals. The lock is released
 * only after the commit is visible, so positions become visible in order. SQLite has one writer anyway.
 */
const EVENTS_WRITE_LOCK = [0x6f727279, 1] as const;

/** Most sends written in one transaction. */
const MAX_BATCH = 256;
/** Rows per INSERT statement (SQLite allows 32766 bound parameters; an event row binds 10). */
const ROWS_PER_INSERT = 500;

type CountRow = { n: number | string | null; newest: number | string | null };
const toCount = (n: unknown, newest: unknown): SendCount => ({ count: Number(n ?? 0), newestTs: newest === null || newest === undefined ? null : Number(newest) });

/**
 * The figures a {@link SendGuard} reads, for the first row of a send: at most three indexed queries
 * (`events_sender_ts_idx`, `events_token_ts_idx`, `events_dedupe_idx`), each touching only the
 * window's events, however high the limits are set.
 */
async function sendStats(q: Kysely<Database>, row: NewEventRow, guard: SendGuard, now: number): Promise<SendStats> {
  const countSince = now - guard.countWindowMs;
  const lower = Math.min(countSince, now - guard.lookbackMs);
  const counted = sql`case when origin_server_ts >= ${countSince} then 1 else 0 end`;
  const sender = (
    await sql<CountRow & { n_web: number | string | null; newest_web: number | string | null }>`
      select sum(${counted}) as n, max(origin_server_ts) as newest,
             sum(case when token_id is null and origin_server_ts >= ${countSince} then 1 else 0 end) as n_web,
             max(case when token_id is null then origin_server_ts end) as newest_web
        from events
       where room_id = ${row.room_id} and sender = ${row.sender} and origin_server_ts >= ${lower} and type = ${row.type}`.execute(q)
  ).rows[0];
  const token =
    row.token_id === null
      ? undefined
      : (await sql<CountRow>`select sum(${counted}) as n, max(origin_server_ts) as newest
             from events where token_id = ${row.token_id} and origin_server_ts >= ${lower}`.execute(q)).rows[0];
  const duplicate =
    guard.duplicateWindowMs !== undefined && row.dedupe_key !== null
      ? (await sql`select 1 as hit from events
             where room_id = ${row.room_id} and sender = ${row.sender} and dedupe_key = ${row.dedupe_key}
               and origin_server_ts >= ${now - guard.duplicateWindowMs} limit 1`.execute(q)).rows.length > 0
      : false;
  return {
    bySender: toCount(sender?.n, sender?.newest),
    bySenderWithoutToken: toCount(sender?.n_web, sender?.newest_web),
    byToken: token ? toCount(token.n, token.newest) : null,
    duplicate,
  };
}

/** The event a sender stored with a client transaction id, if any. */
export function findEventByTxn(q: Kysely<Database>, sender: string, txnId: string) {
  return q.selectFrom('events').selectAll().where('sender', '=', sender).where('txn_id', '=', txnId).executeTakeFirst();
}

/** A room's current state events (the rows of `current_state` joined to their events). */
export function currentStateOf(db: Kysely<Database>, room_id: string) {
  return db.selectFrom('current_state as s').innerJoin('events as e', 'e.event_id', 's.event_id').selectAll('e').where('s.room_id', '=', room_id);
}

interface Pending {
  rows: NewEventRow[];
  options: InsertOptions;
  resolve(result: InsertResult): void;
  reject(error: unknown): void;
}

/** What one send of a batch came to before the rows are written. */
type Outcome =
  | { kind: 'insert'; ts: number; first: number; count: number }
  | { kind: 'existing'; row: EventRow }
  | { kind: 'same_as'; index: number }
  | { kind: 'error'; error: unknown };

/** Builds the writer over `db`. */
export function createEventWriter(db: Kysely<Database>, dialect: Dialect) {
  const queue: Pending[] = [];
  let draining = false;

  /** Write a batch in one transaction; outcomes per send, in order. */
  async function writeBatch(batch: Pending[]): Promise<InsertResult[] | null> {
    return db.transaction().execute(async (trx) => {
      if (dialect === 'postgres') await sql`select pg_advisory_xact_lock(${EVENTS_WRITE_LOCK[0]}, ${EVENTS_WRITE_LOCK[1]})`.execute(trx);
      // Room state as this batch has left it: what the rules read (the rooms' `''`-keyed state and the
      // member events of the batch's senders and targets) in one query, then kept up to date by the
      // batch's own state rows; anything else is read on demand.
      const state = new Map<string, Record<string, unknown> | null>();
      const keyOf = (room_id: string, type: string, state_key: string) => `${room_id}\u0000${type}\u0000${state_key}`;
      const roomIds = [...new Set(batch.map((item) => item.rows[0]!.room_id))];
      const users = [...new Set(batch.flatMap((item) => item.rows.flatMap((r) => (r.type === 'm.room.member' && r.state_key ? [r.sender, r.state_key] : [r.sender]))))];
      const prefetched = await trx
        .selectFrom('current_state as s')
        .innerJoin('events as e', 'e.event_id', 's.event_id')
        .select(['s.room_id', 's.type', 's.state_key', 'e.content'])
        .where('s.room_id', 'in', roomIds)
        .where((eb) => eb.or([eb('s.state_key', '=', ''), eb.and([eb('s.type', '=', 'm.room.member'), eb('s.state_key', 'in', users)])]))
        .execute();
      for (const r of prefetched) state.set(keyOf(r.room_id, r.type, r.state_key), JSON.parse(r.content) as Record<string, unknown>);
      for (const room_id of roomIds) for (const user of users) if (!state.has(keyOf(room_id, 'm.room.member', user))) state.set(keyOf(room_id, 'm.room.member', user), null);
      const complete = new Set(roomIds);
      const reader = (room_id: string): StateReader => ({
        async content(type, state_key) {
          const key = keyOf(room_id, type, state_key);
          if (state.has(key)) return state.get(key)!;
          // Every `''`-keyed state event of a prefetched room is in the map: absent means none.
          if (state_key === '' && complete.has(room_id)) return null;
          const row = await currentStateOf(trx, room_id).where('s.type', '=', type).where('s.state_key', '=', state_key).executeTakeFirst();
          const content = row ? (JSON.parse(row.content) as Record<string, unknown>) : null;
          state.set(key, content);
          return content;
        },
      });
      const txnSeen = new Map<string, number>();
      const outcomes: Outcome[] = [];
      let toInsert: Array<NewEventRow & { origin_server_ts: number }> = [];
      const positions = new Map<string, number>();

      async function flush(): Promise<void> {
        for (let i = 0; i < toInsert.length; i += ROWS_PER_INSERT) {
          const chunk = toInsert.slice(i, i + ROWS_PER_INSERT);
          const inserted = await trx
            .insertInto('events')
            .values(chunk.map(({ membership: _m, ...row }) => row))
            .returning(['event_id', 'stream_ordering'])
            .execute();
          for (const r of inserted) positions.set(r.event_id, Number(r.stream_ordering));
          for (const row of chunk) {
            if (row.state_key === null) continue;
            await trx
              .insertInto('current_state')
              .values({ room_id: row.room_id, type: row.type, state_key: row.state_key, event_id: row.event_id, membership: row.membership })
              .onConflict((oc) => oc.columns(['room_id', 'type', 'state_key']).doUpdateSet({ event_id: row.event_id, membership: row.membership }))
              .execute();
          }
        }
        toInsert = [];
      }

      // Every earlier event of the batch's transaction ids, in one query.
      const stored = new Map<string, EventRow>();
      const txns = batch.flatMap((item) => (item.options.txn ? [item.options.txn] : []));
      if (txns.length > 0) {
        const found = await trx
          .selectFrom('events')
          .selectAll()
          .where((eb) => eb.or(txns.map((t) => eb.and([eb('sender', '=', t.sender), eb('txn_id', '=', t.txnId)]))))
          .execute();
        for (const row of found) stored.set(`${row.sender}\u0000${row.txn_id}`, row);
      }
      const redactions: Array<{ event_id: string; content: string; by: string }> = [];
      for (const [index, item] of batch.entries()) {
        const { rows, options } = item;
        try {
          if (options.txn) {
            const key = `${options.txn.sender}\u0000${options.txn.txnId}`;
            const earlier = txnSeen.get(key);
            if (earlier !== undefined) {
              outcomes.push({ kind: 'same_as', index: earlier });
              continue;
            }
            const existing = stored.get(key);
            if (existing) {
              outcomes.push({ kind: 'existing', row: existing });
              continue;
            }
          }
          if (options.authorize) await options.authorize(reader(rows[0]!.room_id));
          const ts = options.now();
          if (options.guard) {
            // The guard counts stored events: the batch's earlier sends must be stored first.
            await flush();
            options.guard.verify(await sendStats(trx, rows[0]!, options.guard, ts), ts);
          }
          for (const row of rows) {
            toInsert.push({ ...row, origin_server_ts: ts });
            if (row.state_key !== null) state.set(keyOf(row.room_id, row.type, row.state_key), JSON.parse(row.content as string) as Record<string, unknown>);
          }
          if (options.redact) redactions.push({ ...options.redact, by: rows[0]!.event_id });
          // Only a send that passed its checks answers later repeats of its transaction id.
          if (options.txn) txnSeen.set(`${options.txn.sender}\u0000${options.txn.txnId}`, index);
          outcomes.push({ kind: 'insert', ts, first: 0, count: rows.length });
        } catch (error) {
          // A refusal (the rules, the guard) is this send's answer alone. Anything else is the
          // database's: on PostgreSQL the transaction is then aborted and would silently roll back
          // at commit, so the whole batch fails and is written again send by send.
          if (!(error instanceof DomainError)) throw error;
          outcomes.push({ kind: 'error', error });
        }
      }
      await flush();
      for (const r of redactions) {
        await trx.updateTable('events').set({ content: r.content, redacted_because: r.by }).where('event_id', '=', r.event_id).execute();
      }
      const results: InsertResult[] = [];
      for (const [index, outcome] of outcomes.entries()) {
        if (outcome.kind === 'insert') results.push({ orderings: batch[index]!.rows.map((r) => positions.get(r.event_id)!), ts: outcome.ts });
        else if (outcome.kind === 'existing') results.push({ existing: outcome.row });
        else if (outcome.kind === 'same_as') {
          const first = batch[outcome.index]!;
          const row = first.rows[0]!;
          const { membership, ...stored } = row;
          void membership;
          const ts = (results[outcome.index] as { ts?: number } | undefined)?.ts ?? 0;
          results.push({ existing: { ...stored, origin_server_ts: ts, stream_ordering: positions.get(row.event_id)!, redacted_because: null } as EventRow });
        } else results.push({ error: outcome.error } as unknown as InsertResult);
      }
      return results;
    });
  }

  function settle(item: Pending, result: InsertResult): void {
    const failed = (result as { error?: unknown }).error;
    if (failed !== undefined) item.reject(failed);
    else item.resolve(result);
  }

  async function writeAlone(item: Pending): Promise<void> {
    try {
      settle(item, (await writeBatch([item]))![0]!);
    } catch (error) {
      // Only reachable if writes were not serialized (another writer on the database): the
      // transaction id's unique index still decides, and the loser answers with the winner's event.
      const txn = item.options.txn;
      const existing = txn && isUniqueViolation(error) ? await findEventByTxn(db, txn.sender, txn.txnId).catch(() => undefined) : undefined;
      if (existing) item.resolve({ existing });
      else item.reject(error);
    }
  }

  async function drain(): Promise<void> {
    draining = true;
    try {
      while (queue.length > 0) {
        const batch = queue.splice(0, MAX_BATCH);
        if (batch.length === 1) {
          await writeAlone(batch[0]!);
          continue;
        }
        let results: InsertResult[] | null = null;
        try {
          results = await writeBatch(batch);
        } catch {
          // One send broke the transaction (a row the database refused): write each on its own so
          // only that one fails.
          for (const item of batch) await writeAlone(item);
          continue;
        }
        batch.forEach((item, i) => settle(item, results![i]!));
      }
    } finally {
      draining = false;
    }
  }

  return {
    /**
     * Insert events (state events update `current_state`); resolves to their stream orderings, or
     * the earlier event of the same client transaction; rejects with what `authorize` or the guard
     * threw. Writes are serialized and batched (see the file header), so the transaction lookup and
     * the guard see every earlier write: concurrent retries with one transaction id all get the first
     * event, and concurrent sends cannot slip past a rate limit.
     */
    insertEvents(rows: NewEventRow[], options: InsertOptions): Promise<InsertResult> {
      return new Promise<InsertResult>((resolve, reject) => {
        queue.push({ rows, options, resolve, reject });
        if (!draining) void drain();
      });
    },
  };
}
