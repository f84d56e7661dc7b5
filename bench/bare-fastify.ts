/**
 * A bare Fastify server, the ceiling for request benches: `POST /api/runtime/presence` answers
 * `{ok:true}` with no auth, storage or plugins. Prints one JSON line `{url}`, then runs until killed.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.post('/api/runtime/presence', async () => ({ ok: true }));
await app.listen({ port: 0, host: '127.0.0.1' });
console.log(JSON.stringify({ url: `http://127.0.0.1:${(app.server.address() as { port: number }).port}` }));
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
