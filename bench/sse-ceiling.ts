/**
 * The ceiling for bench (c): a bare `node:http` server that does nothing but SSE fan-out on the same
 * paths as Orrery. `POST /api/runtime/shared` writes the posted content as one frame to every open
 * `GET /api/runtime/stream`, at once, with no auth, storage or framework. Prints one JSON line
 * `{url, human}` (the shape of `runtime-server.ts`), then runs until killed.
 */
import http from 'node:http';
import type { Socket } from 'node:net';

const readers = new Set<Socket>();
let seq = 0;

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/api/runtime/stream') {
    res.removeHeader('transfer-encoding');
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', connection: 'close' });
    res.flushHeaders();
    const socket = res.socket!;
    readers.add(socket);
    socket.once('close', () => readers.delete(socket));
    return;
  }
  if (req.method === 'POST' && req.url === '/api/runtime/shared') {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      const { content } = JSON.parse(body) as { content: string };
      const id = ++seq;
      const frame = Buffer.from(`id: s${id}\nevent: message\ndata: ${JSON.stringify({ id, content })}\n\n`);
      for (const socket of readers) socket.write(frame);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, id }));
    });
    return;
  }
  res.writeHead(404).end();
});
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, human: 'none' }));
});
process.on('SIGTERM', () => {
  for (const socket of readers) socket.destroy();
  server.close(() => process.exit(0));
});
