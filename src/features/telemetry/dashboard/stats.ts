/**
 * What the dashboard shows, gathered by one middleware: per method and per tool the request and
 * error counts and a ring of the latest durations (p50/p99 are exact over that window), sessions
 * per transport, and the latest failures. Bounded: 512 durations per row, 200 rows, 20 errors.
 * Under `--cluster` each worker sends its part (`part()`) and the supervisor merges them
 * (`mergeParts`, cluster.ts).
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
  /** The durations in the window (ms), in ring order (quantiles do not depend on it). */
  window(): number[] {
    return Array.from(this.ring.subarray(0, this.filled));
  }
}

/** p50 and p99 over `durations` (exact: nearest rank). */
function quantiles(durations: number[]): { p50: number; p99: number } {
  if (durations.length === 0) return { p50: 0, p99: 0 };
  const sorted = durations.sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return { p50: at(0.5), p99: at(0.99) };
}

/** One row of a process's figures before merging: counts and the latest durations (ms). */
export interface RawRow {
  readonly name: string;
  readonly count: number;
  readonly errors: number;
  readonly window: number[];
}

/**
 * What one process holds, as sent to the supervisor under `--cluster` (JSON over the cluster IPC
 * channel): the counts and the duration windows themselves, so quantiles over the whole cluster
 * are computed over every worker's window, not averaged.
 */
export interface StatsPart {
  readonly at: number;
  readonly sessions: number;
  readonly sessionsOpenedByTransport: Record<string, number>;
  readonly requests: number;
  readonly errors: number;
  readonly inFlight: number;
  readonly methods: RawRow[];
  readonly tools: RawRow[];
  readonly recentErrors: readonly RecentError[];
  readonly nodes: number | undefined;
}

/**
 * The snapshot of one process or of several (the workers of a cluster): counts, sessions and
 * requests in flight summed, p50/p99 over the union of the rows' windows, the latest errors of
 * all, the largest node count reported (every worker reads the same Redis heartbeats).
 */
export function mergeParts(parts: readonly StatsPart[]): Snapshot {
  const opened: Record<string, number> = {};
  const rows = (pick: (p: StatsPart) => RawRow[]) => {
    const m = new Map<string, { count: number; errors: number; window: number[] }>();
    for (const p of parts) {
      for (const r of pick(p)) {
        const acc = m.get(r.name);
        if (acc === undefined) m.set(r.name, { count: r.count, errors: r.errors, window: [...r.window] });
        else {
          acc.count += r.count;
          acc.errors += r.errors;
          for (const d of r.window) acc.window.push(d);
        }
      }
    }
    return [...m].map(([name, r]) => ({ name, count: r.count, errors: r.errors, ...quantiles(r.window) })).sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : 1));
  };
  let sessions = 0;
  let requests = 0;
  let errors = 0;
  let inFlight = 0;
  let nodes: number | undefined;
  for (const p of parts) {
    sessions += p.sessions;
    requests += p.requests;
    errors += p.errors;
    inFlight += p.inFlight;
    for (const [k, n] of Object.entries(p.sessionsOpenedByTransport)) opened[k] = (opened[k] ?? 0) + n;
    if (p.nodes !== undefined) nodes = Math.max(nodes ?? 0, p.nodes);
  }
  return {
    at: Date.now(),
    sessions,
    sessionsOpenedByTransport: opened,
    requests,
    errors,
    inFlight,
    methods: rows((p) => p.methods),
    tools: rows((p) => p.tools),
    recentErrors: parts
      .flatMap((p) => p.recentErrors)
      .sort((a, b) => b.at - a.at)
      .slice(0, MAX_ERRORS),
    nodes,
    ...(parts.length > 1 ? { workers: parts.length } : {}),
  };
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
  /** Under `--cluster`: how many worker processes these figures sum. */
  readonly workers?: number;
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

  /** This process's figures, unmerged (see `mergeParts`). */
  async part(): Promise<StatsPart> {
    let sessions = 0;
    for (const s of this.servers) sessions += s.sessionCount;
    const table = (m: Map<string, Row>): RawRow[] => [...m].map(([name, r]) => ({ name, count: r.count, errors: r.errors, window: r.window() }));
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
      recentErrors: [...this.recent],
      nodes,
    };
  }

  /** This process's snapshot. */
  async snapshot(): Promise<Snapshot> {
    return mergeParts([await this.part()]);
  }
}
