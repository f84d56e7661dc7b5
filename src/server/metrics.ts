/**
 * Prometheus metrics (prom-client): requests by route and status, a latency histogram, in-flight
 * requests and the process's default metrics, in a registry per app so tests can run several apps.
 */
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The metrics of one app; the admin server renders `registry`. */
export interface Metrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
  latency: Histogram<'method' | 'route'>;
  /** Requests currently being processed (incremented on arrival, decremented on socket close/finish). */
  inFlight(): number;
  requestStarted(): void;
  requestEnded(): void;
}

/** Create the registry and its collectors. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'orrery_' });
  let inFlight = 0;
  new Gauge({
    name: 'orrery_http_requests_in_flight',
    help: 'HTTP requests being processed.',
    registers: [registry],
    collect() {
      this.set(inFlight);
    },
  });
  return {
    registry,
    requests: new Counter({
      name: 'orrery_http_requests_total',
      help: 'HTTP requests by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'orrery_http_request_duration_seconds',
      help: 'HTTP request latency in seconds by method and route pattern.',
      labelNames: ['method', 'route'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    inFlight: () => inFlight,
    requestStarted: () => void inFlight++,
    requestEnded: () => void inFlight--,
  };
}

/** Observes every request into `metrics`. */
export const metricsPlugin = fp(
  async function metricsHooks(app: FastifyInstance, opts: { metrics: Metrics }) {
    const m = opts.metrics;
    // Label-bound children, cached: prom-client would otherwise hash the label object on every call.
    const counters = new Map<string, { inc(): void }>();
    const timers = new Map<string, { observe(v: number): void }>();
    app.addHook('onRequest', async function countInFlight(_request, reply) {
      m.requestStarted();
      reply.raw.once('close', m.requestEnded);
    });
    app.addHook('onResponse', async function observe(request, reply) {
      const route = request.routeOptions.url ?? 'unmatched';
      const status = String(reply.statusCode);
      const timerKey = `${request.method} ${route}`;
      const counterKey = `${timerKey} ${status}`;
      let counter = counters.get(counterKey);
      if (!counter) counters.set(counterKey, (counter = m.requests.labels(request.method, route, status)));
      let timer = timers.get(timerKey);
      if (!timer) timers.set(timerKey, (timer = m.latency.labels(request.method, route)));
      counter.inc();
      timer.observe(reply.elapsedTime / 1000);
    });
  },
  { name: 'orrery-metrics', fastify: '5.x' },
);
