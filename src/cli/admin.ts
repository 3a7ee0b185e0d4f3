/**
 * `GET /status` on the HTTP port of `erlmcp start`: what `erlmcp status` shows — uptime,
 * sessions, request counts and rates, errors, and the nodes sharing the Redis deployment.
 * Protected: with an admin token (`--admin-token`) a request must carry
 * `Authorization: Bearer <token>`; without one, only loopback clients are answered.
 */
import cluster from 'node:cluster';
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { McpServer } from '../server/index.js';
import type { RedisStores } from '../stores/redis/index.js';

export interface StatusReport {
  /** The service's pid: the one `erlmcp stop` signals (the supervisor's, when supervised). */
  pid: number;
  /** The worker process that answered, when supervised. */
  worker?: number;
  node: string;
  version: string;
  uptimeSeconds: number;
  sessions: number;
  requests: { total: number; lastMinute: number; perSecond: number; clientErrors: number; serverErrors: number };
  transports: string[];
  /** With Redis: every node whose heartbeat key is live under the same prefix. */
  nodes?: string[];
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

export class AdminEndpoint {
  private readonly startedAt = Date.now();
  private total = 0;
  private clientErrors = 0;
  private serverErrors = 0;
  /** Request counts per second over the last minute (a ring of 60 buckets). */
  private readonly buckets = new Array<number>(60).fill(0);
  private bucketSecond = Math.floor(Date.now() / 1000);

  constructor(
    private readonly o: { server: McpServer; node: string; version: string; transports: string[]; stores?: RedisStores; token?: string },
  ) {}

  private roll(now: number): void {
    const sec = Math.floor(now / 1000);
    for (let s = this.bucketSecond + 1; s <= sec && s - this.bucketSecond <= 60; s++) this.buckets[s % 60] = 0;
    this.bucketSecond = Math.max(this.bucketSecond, sec);
  }

  /** Counts one HTTP request and its status class once answered. */
  track(res: ServerResponse): void {
    this.total++;
    this.roll(Date.now());
    this.buckets[this.bucketSecond % 60]!++;
    res.once('finish', () => {
      if (res.statusCode >= 500) this.serverErrors++;
      else if (res.statusCode >= 400) this.clientErrors++;
    });
  }

  private authorized(req: IncomingMessage): boolean {
    if (!this.o.token) return LOOPBACK.has(req.socket.remoteAddress ?? '');
    const given = Buffer.from(/^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '');
    const want = Buffer.from(this.o.token);
    return given.length === want.length && timingSafeEqual(given, want);
  }

  async report(): Promise<StatusReport> {
    this.roll(Date.now());
    const lastMinute = this.buckets.reduce((a, b) => a + b, 0);
    const report: StatusReport = {
      // A supervised worker answers for the service: its supervisor is the process to signal.
      pid: cluster.isWorker ? process.ppid : process.pid,
      ...(cluster.isWorker ? { worker: process.pid } : {}),
      node: this.o.node,
      version: this.o.version,
      uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
      sessions: this.o.server.sessionCount,
      requests: { total: this.total, lastMinute, perSecond: Math.round((lastMinute / 60) * 100) / 100, clientErrors: this.clientErrors, serverErrors: this.serverErrors },
      transports: this.o.transports,
    };
    const c = this.o.stores?.connection;
    if (c) {
      const keys = await c.cmd.keys(`${c.prefix}n:*`).catch(() => [] as string[]);
      report.nodes = keys.map((k) => k.slice(`${c.prefix}n:`.length)).sort();
    }
    return report;
  }

  /** Serves GET /status; true when it answered. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path !== '/status' || req.method !== 'GET') return false;
    if (!this.authorized(req)) {
      res.writeHead(this.o.token ? 401 : 403, { 'content-type': 'application/json', ...(this.o.token ? { 'www-authenticate': 'Bearer' } : {}) });
      res.end(JSON.stringify({ error: this.o.token ? 'status needs Authorization: Bearer <admin token>' : 'status is served to loopback clients only (set an admin token to open it)' }));
      return true;
    }
    const body = JSON.stringify(await this.report());
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(body);
    return true;
  }
}
