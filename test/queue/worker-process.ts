/**
 * A queue worker in a process of its own, for the contract suite's "a worker died" tests: it works on
 * `QUEUE_TYPE` against the database of `QUEUE_DATA_PATH` (SQLite) or `QUEUE_DATABASE_URL` (PostgreSQL),
 * prints `started <id> attempt <n>` when a handler starts, and never finishes one — the test kills it.
 */
import { createQueue } from '../../src/queue/queue.ts';
import { openStore } from '../../src/store/database.ts';

const databaseUrl = process.env.QUEUE_DATABASE_URL || undefined;
const store = openStore({ dataPath: process.env.QUEUE_DATA_PATH!, databaseUrl, pgPoolMax: 2 });
const queue = createQueue({ store, databaseUrl, options: { pollIntervalMs: 50, leaseMs: 1_000 } });
queue.work(process.env.QUEUE_TYPE!, async (_payload, { id, attempt, signal }) => {
  process.stdout.write(`started ${id} attempt ${attempt}\n`);
  await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
});
await queue.start();
