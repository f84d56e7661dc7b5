/**
 * Control over the main server's listening socket, for the admin port's drain switch: `disable`
 * stops accepting new connections and asks keep-alive clients to leave (`Connection: close`);
 * in-flight requests finish. `enable` listens again on the same address.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';

/** The drain switch and connection counter used by the admin server. */
export interface ListenerControl {
  accepting(): boolean;
  disable(): Promise<void>;
  enable(): Promise<void>;
  openConnections(): Promise<number>;
  /**
   * Requests whose response has not closed yet, counted at the `node:http` level, so hijacked
   * streams count too. At shutdown, once none are left, every remaining connection is idle.
   */
  activeRequests(): number;
}

/** Wrap `app`. Call before the app is ready (it adds a hook); use after `app.listen`. */
export function createListenerControl(app: FastifyInstance): ListenerControl {
  let accepting = true;
  let address: AddressInfo | undefined;
  app.addHook('onSend', async function askToLeave(_request, reply) {
    if (!accepting) reply.header('connection', 'close');
  });
  let active = 0;
  app.server.on('request', (_req, res) => {
    active++;
    res.once('close', () => active--);
  });
  return {
    activeRequests: () => active,
    accepting: () => accepting,
    async disable() {
      if (!accepting) return;
      address = app.server.address() as AddressInfo;
      accepting = false;
      // close() stops accepting at once; its callback would wait for open connections, which we do not.
      app.server.close();
      app.server.closeIdleConnections();
    },
    async enable() {
      if (accepting || !address) return;
      const { port, address: host } = address;
      await new Promise<void>((resolve, reject) => {
        app.server.once('error', reject);
        app.server.listen(port, host, () => {
          app.server.off('error', reject);
          resolve();
        });
      });
      accepting = true;
    },
    openConnections: () => new Promise((resolve) => app.server.getConnections((err, n) => resolve(err ? 0 : n))),
  };
}
