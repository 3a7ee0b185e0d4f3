/**
 * Measures one server with the common driver: our Client on our transports sends the same
 * request (ping, or one tool call) at each concurrency, after a warm-up; the server's CPU time
 * and peak RSS come from /proc when it is a process on this machine (a stdio server we start,
 * or the process listening on a loopback URL's port).
 */
import { connect, type Session, type Target } from '../validate/target.js';
import { isLoopback } from '../validate/http-checks.js';
import { drive, type DriveFigures } from './driver.js';
import { pidListeningOn, treeCpuMs, treePeakRssBytes } from './proc.js';

export interface BenchOptions {
  /** Concurrency levels, each measured in turn. */
  inFlight: number[];
  durationMs: number;
  warmupMs: number;
  /** Call this tool instead of sending ping. */
  tool?: string;
  toolArguments?: Record<string, unknown>;
  timeoutMs: number;
}

export const DEFAULT_BENCH_OPTIONS: BenchOptions = { inFlight: [1, 16], durationMs: 3000, warmupMs: 500, timeoutMs: 10_000 };

export interface LevelFigures extends DriveFigures {
  /** Server CPU (user + system) per call in µs; undefined when the server process is not visible. */
  cpuUsPerCall: number | undefined;
}

export interface BenchResult {
  target: string;
  server: string;
  request: string;
  pid: number | undefined;
  levels: LevelFigures[];
  /** Peak RSS of the server process over its life, in bytes (VmHWM). */
  peakRssBytes: number | undefined;
}

/** An open benchmark session on one target: measured level by level (see compare.ts). */
export class BenchSession {
  private constructor(
    readonly target: Target,
    private readonly session: Session,
    readonly pid: number | undefined,
    private readonly opts: BenchOptions,
  ) {}

  static async open(target: Target, opts: BenchOptions): Promise<BenchSession> {
    const session = await connect(target, { timeoutMs: opts.timeoutMs });
    let pid = session.pid;
    if (pid === undefined && target.kind === 'http' && isLoopback(target.url)) pid = pidListeningOn(Number(target.url.port || (target.url.protocol === 'https:' ? 443 : 80)));
    const s = new BenchSession(target, session, pid, opts);
    if (opts.tool) {
      // Fail early and clearly when the tool is missing or refuses the arguments.
      const r = await session.client.callTool({ name: opts.tool, arguments: opts.toolArguments ?? {} });
      if (r.isError) throw new Error(`${opts.tool} answered isError: ${JSON.stringify(r.content).slice(0, 200)}`);
    }
    if (opts.warmupMs > 0) await drive(s.call, { inFlight: Math.max(...opts.inFlight), durationMs: opts.warmupMs });
    return s;
  }

  get serverName(): string {
    const i = this.session.client.serverInfo;
    return i ? `${i.name} ${i.version}` : 'unknown';
  }

  get request(): string {
    return this.opts.tool ? `tools/call ${this.opts.tool}` : 'ping';
  }

  readonly call = (): Promise<unknown> => {
    const c = this.session.client;
    return this.opts.tool ? c.callTool({ name: this.opts.tool, arguments: this.opts.toolArguments ?? {} }) : c.ping();
  };

  async level(inFlight: number): Promise<LevelFigures> {
    const c0 = this.pid === undefined ? undefined : treeCpuMs(this.pid);
    const f = await drive(this.call, { inFlight, durationMs: this.opts.durationMs });
    const c1 = this.pid === undefined ? undefined : treeCpuMs(this.pid);
    const cpuUsPerCall = c0 !== undefined && c1 !== undefined && f.calls > 0 ? Math.round(((c1 - c0) * 1000 * 10) / f.calls) / 10 : undefined;
    return { ...f, cpuUsPerCall };
  }

  peakRss(): number | undefined {
    return this.pid === undefined ? undefined : treePeakRssBytes(this.pid);
  }

  close(): Promise<void> {
    return this.session.close();
  }
}

/** Measures one target at every concurrency level. */
export async function measure(target: Target, opts: BenchOptions, progress: (line: string) => void = () => {}): Promise<BenchResult> {
  const s = await BenchSession.open(target, opts);
  try {
    const levels: LevelFigures[] = [];
    for (const n of opts.inFlight) {
      const l = await s.level(n);
      progress(`${target.label}: ${n} in flight: ${l.callsPerSecond} calls/s, p50 ${l.p50Ms} ms, p99 ${l.p99Ms} ms${l.cpuUsPerCall === undefined ? '' : `, ${l.cpuUsPerCall} µs CPU/call`}`);
      levels.push(l);
    }
    return { target: target.label, server: s.serverName, request: s.request, pid: s.pid, levels, peakRssBytes: s.peakRss() };
  } finally {
    await s.close();
  }
}
