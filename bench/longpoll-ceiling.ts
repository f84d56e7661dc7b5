/**
 * The ceiling of the `/sync` wake-up bench: a bare `node:http` long-poll server, the floor of
 * "HTTP round trip + waking a held response from another request" on this machine. No auth,
 * storage or framework.
 *   GET /wait?id=<client>&timeout=<ms>  held until a message for `id` arrives or `timeout` passes;
 *                                       answers `{next_batch, events}` (a message sent while no
 *                                       request was held is answered by the next one at once)
 *   PUT /send?to=<client>               the JSON body is handed to `to`'s held request, then
 *                                       answered `{event_id}`
 * Prints one JSON line `{url}`, then runs until killed.
 */
import http from 'node:http';

const waiting = new Map<string, http.ServerResponse>();
const queued = new Map<string, unknown[]>();
let seq = 0;

function answer(res: http.ServerResponse, events: unknown[]): void {
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ next_batch: `s${seq}`, events }));
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  if (req.method === 'GET' && url.pathname === '/wait') {
    const id = url.searchParams.get('id') ?? '';
    const pending = queued.get(id);
    if (pending) {
      queued.delete(id);
      return answer(res, pending);
    }
    const timer = setTimeout(() => {
      if (waiting.get(id) === res) waiting.delete(id);
      answer(res, []);
    }, Number(url.searchParams.get('timeout') ?? 30_000));
    waiting.set(id, res);
    res.once('close', () => {
      clearTimeout(timer);
      if (waiting.get(id) === res) waiting.delete(id);
    });
    return;
  }
  if (req.method === 'PUT' && url.pathname === '/send') {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const event = { event_id: `$${++seq}`, content: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown };
      const to = url.searchParams.get('to') ?? '';
      const held = waiting.get(to);
      if (held) {
        waiting.delete(to);
        answer(held, [event]);
      } else queued.set(to, [...(queued.get(to) ?? []), event]);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ event_id: event.event_id }));
    });
    return;
  }
  res.writeHead(404).end();
});
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}` }));
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
