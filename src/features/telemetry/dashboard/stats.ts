/**
 * What the dashboard shows, gathered by one middleware: per method and per tool the request and
 * error counts and a ring of the latest durations (p50/p99 are exact over that window), sessions
 * per transport, and the latest failures. Bounded: 512 durations per row, 200 rows, 20 errors.
 */
import type { McpServer } from '../../../server/server.js';
import { BoundedValues, OTHER, TOOL_ERROR, classifyFailure, isToolError } from '../conventions.js';

const WINDOW = 512;
const MAX_ERRORS = 20;

class Row {
  count = 0;
  errors = 0;
  private readonly ring = new Float64Array(WINDOW);
  private filled = 0;
  private next = 0;
  add(ms: number, failed: boolean): void {
    this.count++;
    if (failed) this.errors++;
    this.ring[this.next] = ms;
    this.next = (this.next + 1) % WINDOW;
    if (this.filled < WINDOW) this.filled++;
  }
  quantiles(): { p50: number; p99: number } {
    if (this.filled === 0) return { p50: 0, p99: 0 };
    const sorted = Array.from(this.ring.subarray(0, this.filled)).sort((a, b) => a - b);
    const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
    return { p50: at(0.5), p99: at(0.99) };
  }
}

export interface RecentError {
  readonly at: number;
  readonly method: string;
  readonly target: string | undefined;
  readonly type: string;
  readonly message: string;
}

export interface Snapshot {
  readonly at: number;
  readonly sessions: number;
  /** Sessions opened since start, per transport ('http', 'stdio'…). */
  readonly sessionsOpenedByTransport: Record<string, number>;
  readonly requests: number;
  readonly errors: number;
  readonly inFlight: number;
  readonly methods: { name: string; count: number; errors: number; p50: number; p99: number }[];
  readonly tools: { name: string; count: number; errors: number; p50: number; p99: number }[];
  readonly recentErrors: readonly RecentError[];
  readonly nodes: number | undefined;
}

export class DashboardStats {
  private readonly servers = new Set<McpServer>();
  private readonly methods = new Map<string, Row>();
  private readonly tools = new Map<string, Row>();
  private readonly names = new BoundedValues(200);
  private readonly recent: RecentError[] = [];
  /** Sessions opened per transport kind (a handful of kinds). */
  private readonly opened = new Map<string, number>();
  private requests = 0;
  private errors = 0;
  private inFlight = 0;
  /** Counts live cluster nodes (e.g. from the Redis heartbeats); undefined when not clustered. */
  nodeCount: (() => number | Promise<number>) | undefined;

  instrument(server: McpServer): this {
    this.servers.add(server);
    server.use((call, next) => {
      const started = performance.now();
      this.inFlight++;
      if (call.method === 'initialize') {
        const kind = call.transport ?? 'other';
        this.opened.set(kind, (this.opened.get(kind) ?? 0) + 1);
      }
      const tool = call.method === 'tools/call' && typeof call.params.name === 'string' ? (server.tools.has(call.params.name) ? this.names.get(call.params.name) : OTHER) : undefined;
      const done = (failed: boolean): void => {
        const ms = performance.now() - started;
        this.inFlight--;
        this.requests++;
        if (failed) this.errors++;
        this.row(this.methods, call.method).add(ms, failed);
        if (tool !== undefined) this.row(this.tools, tool).add(ms, failed);
      };
      return next().then(
        (r) => {
          const failed = isToolError(r);
          if (failed) this.remember(call.method, call.target, TOOL_ERROR, 'tool returned isError');
          done(failed);
          return r;
        },
        (e: unknown) => {
          const f = classifyFailure(e);
          this.remember(call.method, call.target, f.type, f.message);
          done(true);
          throw e;
        },
      );
    });
    return this;
  }

  private row(map: Map<string, Row>, key: string): Row {
    let r = map.get(key);
    if (!r) map.set(key, (r = new Row()));
    return r;
  }

  private remember(method: string, target: string | undefined, type: string, message: string): void {
    this.recent.unshift({ at: Date.now(), method, target: target?.slice(0, 200), type, message: message.slice(0, 300) });
    if (this.recent.length > MAX_ERRORS) this.recent.length = MAX_ERRORS;
  }

  async snapshot(): Promise<Snapshot> {
    let sessions = 0;
    for (const s of this.servers) sessions += s.sessionCount;
    const table = (m: Map<string, Row>) => [...m].map(([name, r]) => ({ name, count: r.count, errors: r.errors, ...r.quantiles() })).sort((a, b) => b.count - a.count);
    const opened: Record<string, number> = {};
    for (const [k, n] of this.opened) opened[k] = n;
    let nodes: number | undefined;
    if (this.nodeCount) nodes = await Promise.resolve(this.nodeCount()).catch(() => undefined);
    return {
      at: Date.now(),
      sessions,
      sessionsOpenedByTransport: opened,
      requests: this.requests,
      errors: this.errors,
      inFlight: this.inFlight,
      methods: table(this.methods),
      tools: table(this.tools),
      recentErrors: this.recent,
      nodes,
    };
  }
}
