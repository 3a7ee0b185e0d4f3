/**
 * Prometheus gauges and counters about what a served process holds, beside the per-request
 * metrics of prometheus.ts: connections and SSE streams per transport, the event store's size,
 * Redis command latency and errors, and the nodes sharing the Redis deployment. Gauges are read
 * when scraped (prom-client `collect`), through read-only counts the transports and stores
 * expose; nothing here runs per request except the Redis command timing.
 *
 * Under `erlmcp start --cluster N` the supervisor sums workers (cluster-metrics.ts): per-process
 * figures use prom-client's `sum` aggregator; figures every worker reads from the shared Redis
 * (event-store streams, cluster nodes) use `max`, so they are not counted N times.
 */
import type { Redis } from 'ioredis';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { EventStoreStats } from '../../stores/types.js';
import { BoundedValues } from './conventions.js';

/** Transport names of the `transport` label: a fixed set. */
export type TransportName = 'streamable_http' | 'websocket' | 'tcp' | 'legacy_sse';

/** Open connections and SSE streams of one transport, as counted now. */
export interface TransportCounts {
  transport: TransportName;
  /** Open connections (sockets), when the transport has its own. */
  connections?: number;
  /** Open SSE streams, for the transports that stream over SSE. */
  sseStreams?: number;
}

/** Buckets (seconds) of Redis command latency: a round trip is sub-millisecond on a LAN. */
const REDIS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];

/**
 * Registers `mcp_server_connections` and `mcp_server_sse_streams` (label `transport`), read from
 * `read()` at each scrape.
 *
 * @example
 * observeTransports(metrics.registry, () => [{ transport: 'tcp', connections: tcp.connectionCount }]);
 */
export function observeTransports(registry: Registry, read: () => TransportCounts[]): void {
  // Each gauge reads the counts itself when scraped: they are plain counters, cheap to read twice.
  new Gauge({
    name: 'mcp_server_connections',
    help: 'Connections open now, by transport (streamable_http counts sockets on the HTTP port, WebSocket upgrades included).',
    labelNames: ['transport'],
    registers: [registry],
    aggregator: 'sum',
    collect() {
      for (const t of read()) if (t.connections !== undefined) this.set({ transport: t.transport }, t.connections);
    },
  });
  new Gauge({
    name: 'mcp_server_sse_streams',
    help: 'SSE streams open now, by transport (streamable_http: POST responses, GET streams and resumptions; legacy_sse: one per session).',
    labelNames: ['transport'],
    registers: [registry],
    aggregator: 'sum',
    collect() {
      for (const t of read()) if (t.sseStreams !== undefined) this.set({ transport: t.transport }, t.sseStreams);
    },
  });
}

/**
 * Registers `mcp_event_store_streams` and `mcp_event_store_events` (label `store`), read from
 * the store's `stats()` at each scrape. `shared`: the store is shared by every node (Redis), so
 * the cluster aggregate takes the max rather than the sum.
 *
 * @example
 * observeEventStore(metrics.registry, 'memory', () => http.eventStore.stats!());
 */
export function observeEventStore(registry: Registry, store: 'memory' | 'redis', stats: () => Promise<EventStoreStats>): void {
  const aggregator = store === 'redis' ? 'max' : 'sum';
  new Gauge({
    name: 'mcp_event_store_streams',
    help: 'SSE streams held for resumption (memory store: this process; Redis: every node under the prefix).',
    labelNames: ['store'],
    registers: [registry],
    aggregator,
    async collect() {
      this.set({ store }, (await stats()).streams);
    },
  });
  // Redis would need one XLEN per stream: only the memory store counts its events.
  if (store === 'memory') {
    new Gauge({
      name: 'mcp_event_store_events',
      help: 'Events held for SSE resumption in this process (memory store).',
      labelNames: ['store'],
      registers: [registry],
      aggregator,
      async collect() {
        const s = await stats();
        if (s.events !== undefined) this.set({ store }, s.events);
      },
    });
  }
}

/**
 * Times every command `redis` sends (`mcp_redis_command_duration_seconds`, label `command`) and
 * counts the failed ones (`mcp_redis_command_errors_total`), by wrapping that client's
 * `sendCommand` (ioredis has no command hook); and registers `mcp_cluster_nodes`, the nodes
 * whose heartbeat key `<prefix>n:<id>` is live. Command names are bounded (the first 64, then
 * `_OTHER`).
 *
 * @example
 * observeRedis(metrics.registry, stores.connection.cmd, stores.connection.prefix);
 */
export function observeRedis(registry: Registry, redis: Redis, prefix: string): void {
  const duration = new Histogram({
    name: 'mcp_redis_command_duration_seconds',
    help: 'Redis commands sent by this process, from send to reply, by command.',
    labelNames: ['command'],
    buckets: REDIS_BUCKETS,
    registers: [registry],
  });
  const errors = new Counter({
    name: 'mcp_redis_command_errors_total',
    help: 'Redis commands that failed (error reply, timeout, connection lost), by command.',
    labelNames: ['command'],
    registers: [registry],
  });
  new Gauge({
    name: 'mcp_cluster_nodes',
    help: 'Nodes (processes) sharing this Redis deployment and prefix: live heartbeat keys.',
    registers: [registry],
    aggregator: 'max',
    async collect() {
      const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}n:*`;
      let n = 0;
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        n += keys.length;
        cursor = next;
      } while (cursor !== '0');
      this.set(n);
    },
  });
  const names = new BoundedValues(64);
  const original = redis.sendCommand;
  redis.sendCommand = function (this: Redis, command, stream) {
    const started = process.hrtime.bigint();
    const result = original.call(this, command, stream);
    const label = names.get(command.name.toLowerCase());
    command.promise.then(
      () => duration.observe({ command: label }, Number(process.hrtime.bigint() - started) / 1e9),
      () => errors.inc({ command: label }),
    );
    return result;
  };
}
