/**
 * A one-for-one supervisor of node:cluster workers, after OTP's: a worker that dies is
 * replaced (after a backoff that grows with recent restarts); more than `maxRestarts` restarts
 * within `restartWindowMs` is a crash loop, and the supervisor gives up — stopping the other
 * workers and reporting why — instead of restarting forever. It also
 * - restarts every worker one at a time (`restart()`): start the replacement, wait until it
 *   serves, then drain the old one in handover mode (it stops accepting at once, finishes what
 *   it has in flight, tells keep-alive clients `Connection: close`);
 * - stops the service (`stop()`): every worker drains, keeps answering probes with 503 and new
 *   sessions with 503 + Retry-After, finishes its in-flight calls within the grace period, exits 0.
 *
 * Workers run `exec` (a module calling runWorker, worker-runtime.ts) and speak its messages.
 * All workers listen on one concrete port: with port 0 the supervisor picks a free port first,
 * because node:cluster shares a listening socket by the *requested* port — a replacement asking
 * for port 0 after the last worker died would get another port, and two supervisors in one
 * process asking for port 0 would share one socket.
 */
import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { ErlmcpError, type LocalErrorCode } from '../protocol/errors.js';
import { DEFAULT_DRAIN_TIMEOUT_MS, type SupervisorMessage, type WorkerMessage } from './worker-runtime.js';

export interface SupervisorOptions {
  /** Worker entry module (a file path); it calls runWorker(). */
  exec: string;
  workers: number;
  /** 0 = a free port, chosen once and kept across restarts. */
  port: number;
  host: string;
  /** Environment of a worker (on top of this process's), given the port it must listen on. */
  env(port: number): Record<string, string>;
  /** Restarts allowed within `restartWindowMs`; one more ends the service. Default 5. */
  maxRestarts?: number;
  /** Default 60 000 ms. */
  restartWindowMs?: number;
  /** Delay before the first restart; doubles with each restart in the window. Default 100 ms. */
  backoffMs?: number;
  /** Backoff ceiling. Default 5000 ms. */
  maxBackoffMs?: number;
  /** Grace period of a draining worker (rolling restart and stop). Default 10 000 ms. */
  drainTimeoutMs?: number;
  /** A worker that has not reported serving by then is killed. Default 60 000 ms. */
  startTimeoutMs?: number;
  log?: (line: string) => void;
  /** Messages of the workers' own (not the runtime's), with the worker that sent it: an audit record to append. */
  onMessage?: (message: unknown, worker: Worker) => void;
}

/** Why the supervisor ended: `code` 0 after stop(), 1 after giving up on a crash loop. */
export interface SupervisorExit {
  code: number;
  reason?: string;
}

interface Child {
  worker: Worker;
  pid: number;
  nodeId: string | undefined;
  state: 'starting' | 'serving' | 'retiring';
  /**
   * Why it was started: by start() or restart() (a startup failure rejects that call; the workers
   * already serving carry on) or as a crash replacement (a startup failure counts as a crash).
   */
  origin: 'start' | 'rolling' | 'replacement';
  failure: { code?: string; message: string } | undefined;
}

export const DEFAULT_MAX_RESTARTS = 5;
export const DEFAULT_RESTART_WINDOW_MS = 60_000;
/** Extra time after the grace period before a draining worker is killed. */
const KILL_MARGIN_MS = 5000;

/** A free TCP port on `host` (the supervisor binds it again at once through node:cluster). */
export function pickPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export class Supervisor {
  /** The port every worker listens on (known after start()). */
  port = 0;
  /** Resolves once the supervisor has ended: stop() done, or a crash loop given up on. */
  readonly done: Promise<SupervisorExit>;
  private resolveDone!: (exit: SupervisorExit) => void;
  private readonly children = new Map<Worker, Child>();
  private readonly crashes: number[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopping: Promise<void> | undefined;
  private exit: SupervisorExit = { code: 0 };
  private rolling: Promise<void> | undefined;
  private readonly log: (line: string) => void;

  constructor(private readonly options: SupervisorOptions) {
    if (!cluster.isPrimary) throw new ErlmcpError('ERR_INVALID_ARGUMENT', 'a Supervisor runs in the primary process');
    if (!Number.isInteger(options.workers) || options.workers < 1) throw new ErlmcpError('ERR_INVALID_ARGUMENT', `workers must be a positive integer, got ${options.workers}`);
    this.log = options.log ?? ((line) => console.error(line));
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  private get drainMs(): number {
    return this.options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
  }

  /** Forks every worker; resolves once all serve, rejects (stopping the others) if one cannot start. */
  async start(): Promise<void> {
    // One requestState key for every worker, replacements included: a 2026-07-28 multi-round-trip
    // retry may reach any of them, or the worker that replaced the one that signed it.
    process.env.ERLMCP_REQUEST_STATE_SECRET ??= randomBytes(32).toString('hex');
    this.port = this.options.port === 0 ? await pickPort(this.options.host) : this.options.port;
    const started = await Promise.allSettled(Array.from({ length: this.options.workers }, () => this.fork('start')));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await this.stop(0);
      throw failed.reason;
    }
  }

  workerPids(): number[] {
    return [...this.children.values()].filter((c) => c.state !== 'retiring').map((c) => c.pid);
  }

  /** Node ids (in the stores) of the serving workers, by pid. */
  nodeIds(): Map<number, string> {
    const out = new Map<number, string>();
    for (const c of this.children.values()) if (c.nodeId !== undefined && c.state === 'serving') out.set(c.pid, c.nodeId);
    return out;
  }

  /**
   * Rolling restart: replaces every worker, one at a time — the new one serves before the old
   * one drains. A restart already under way is joined, not repeated. Rejects (leaving the
   * remaining old workers serving) if a replacement cannot start.
   */
  restart(): Promise<void> {
    if (this.stopping) return Promise.reject(new ErlmcpError('ERR_CONNECTION_CLOSED', 'the service is stopping'));
    this.rolling ??= (async () => {
      const old = [...this.children.values()].filter((c) => c.state === 'serving');
      this.log(`erlmcp: rolling restart of ${old.length} worker${old.length === 1 ? '' : 's'}`);
      for (const c of old) {
        if (this.stopping) return;
        if (!this.children.has(c.worker)) continue; // crashed meanwhile: already replaced
        const fresh = await this.fork('rolling');
        this.log(`erlmcp: worker ${fresh.pid} serving; draining worker ${c.pid}`);
        await this.retire(c, true);
      }
      this.log('erlmcp: rolling restart done');
    })().finally(() => (this.rolling = undefined));
    return this.rolling;
  }

  /**
   * Stops the service: every worker drains (probes and new sessions get 503, calls in flight
   * finish within `graceMs`) and exits; a worker still alive `graceMs` + 5 s later is killed.
   */
  stop(graceMs = this.drainMs): Promise<void> {
    return (this.stopping ??= (async () => {
      for (const t of this.timers) clearTimeout(t);
      this.timers.clear();
      await Promise.all([...this.children.values()].map((c) => this.retire(c, false, graceMs)));
      this.resolveDone(this.exit);
    })());
  }

  // ---------- workers ----------

  private fork(origin: Child['origin']): Promise<Child> {
    cluster.setupPrimary({ exec: this.options.exec, args: [] });
    const worker = cluster.fork(this.options.env(this.port));
    const child: Child = { worker, pid: worker.process.pid ?? -1, nodeId: undefined, state: 'starting', origin, failure: undefined };
    this.children.set(worker, child);
    worker.once('exit', (code: number | null, signal: NodeJS.Signals | null) => this.exited(child, code, signal));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.failure = { message: `did not report serving within ${this.options.startTimeoutMs ?? 60_000} ms` };
        worker.process.kill('SIGKILL');
      }, this.options.startTimeoutMs ?? 60_000);
      const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
        clearTimeout(timer);
        const why = child.failure?.message ?? (signal ? `killed by ${signal}` : `exit code ${code}`);
        const errCode = (child.failure?.code?.startsWith('ERR_') ? child.failure.code : 'ERR_CONNECTION_CLOSED') as LocalErrorCode;
        reject(new ErlmcpError(errCode, child.failure?.code?.startsWith('ERR_') ? why : `worker ${child.pid} exited during startup: ${why}`));
      };
      worker.once('exit', onExit);
      if (this.options.onMessage) worker.on('message', (m: unknown) => this.options.onMessage!(m, worker));
      worker.on('message', (m: WorkerMessage) => {
        if (m?.type === 'erlmcp:failed') child.failure = { code: m.code, message: m.message };
        // The worker's listener is closed and it waits for this before exiting (worker-runtime.ts).
        if (m?.type === 'erlmcp:drained') {
          try {
            worker.send({ type: 'erlmcp:drained-ack' } satisfies SupervisorMessage);
          } catch {
            // IPC already closed: the worker exits on its own timer
          }
        }
        if (m?.type !== 'erlmcp:listening' || child.state !== 'starting') return;
        clearTimeout(timer);
        worker.off('exit', onExit);
        child.state = 'serving';
        child.nodeId = m.nodeId;
        resolve(child);
      });
    });
  }

  /** Drains one worker and resolves once it has exited (killed after the grace period + 5 s). */
  private retire(c: Child, handover: boolean, graceMs = this.drainMs): Promise<void> {
    c.state = 'retiring';
    return new Promise((resolve) => {
      if (c.worker.isDead()) return resolve();
      const timer = setTimeout(() => {
        this.log(`erlmcp: worker ${c.pid} still running ${graceMs + KILL_MARGIN_MS} ms after drain started; killing it`);
        c.worker.process.kill('SIGKILL');
      }, graceMs + KILL_MARGIN_MS);
      c.worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      const m: SupervisorMessage = { type: 'erlmcp:drain', graceMs, handover };
      try {
        c.worker.send(m);
      } catch {
        c.worker.process.kill('SIGTERM'); // IPC already closed: SIGTERM drains too
      }
    });
  }

  private exited(c: Child, code: number | null, signal: NodeJS.Signals | null): void {
    this.children.delete(c.worker);
    // Expected: drained, being stopped, or a startup failure start() reports itself.
    if (c.state === 'retiring' || this.stopping || (c.origin !== 'replacement' && c.state === 'starting')) return;
    const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
    const now = Date.now();
    const windowMs = this.options.restartWindowMs ?? DEFAULT_RESTART_WINDOW_MS;
    const max = this.options.maxRestarts ?? DEFAULT_MAX_RESTARTS;
    this.crashes.push(now);
    while (this.crashes.length > 0 && now - this.crashes[0]! > windowMs) this.crashes.shift();
    if (this.crashes.length > max) {
      const reason = `workers failed ${this.crashes.length} times within ${windowMs / 1000} s (at most ${max} restarts allowed); the last one ${how}${c.failure ? `: ${c.failure.message}` : ''}. Giving up.`;
      this.log(`erlmcp: crash loop: ${reason}`);
      this.exit = { code: 1, reason };
      void this.stop(Math.min(this.drainMs, 2000));
      return;
    }
    const delay = Math.min(this.options.maxBackoffMs ?? 5000, (this.options.backoffMs ?? 100) * 2 ** (this.crashes.length - 1));
    this.log(`erlmcp: worker ${c.pid} ${how}${c.failure ? ` (${c.failure.message})` : ''}; starting a replacement in ${delay} ms (restart ${this.crashes.length} of at most ${max} within ${windowMs / 1000} s)`);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.stopping) return;
      // A replacement that fails to start exits, and that exit counts as the next crash.
      this.fork('replacement').then(
        (fresh) => this.log(`erlmcp: worker ${fresh.pid} serving (replaces ${c.pid})`),
        (e: Error) => this.log(`erlmcp: replacement failed to start: ${e.message}`),
      );
    }, delay);
    this.timers.add(timer);
  }
}
