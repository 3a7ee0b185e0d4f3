/**
 * The worker-thread pool behind isolated tools. One call per worker at a time, so a busy loop
 * holds one thread and never the event loop that serves every other session. A worker that dies
 * (uncaught exception, process.exit, heap limit) fails only the call it was running and is
 * replaced; a call that is cancelled and does not settle within the grace period has its worker
 * terminated and replaced. Calls past the free workers wait in a bounded queue.
 */
import { EventEmitter } from 'node:events';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ErrorCode, McpError } from '../../protocol/errors.js';
import type { CallToolResult } from '../../protocol/types.js';
import type { HandlerContext } from '../context.js';
import type { CallMessage, FromWorker, IsolationOptions, ToWorker, WorkerInit } from './types.js';

const ENTRY = new URL('./worker-entry.js', import.meta.url);

/** `data.reason` of an IsolationError. */
export type IsolationFailure = 'isolate_busy' | 'isolate_crash' | 'isolate_load' | 'isolate_closed';

/**
 * A failure of the isolation machinery rather than of the tool's own logic: the worker died,
 * the module cannot be loaded, the pool is closed (-32603), or the queue is full (-32000, the
 * code of every limit: retrying later can succeed). It reaches the caller as a JSON-RPC error
 * naming the tool, not as an `isError` result the model should act on.
 */
export class IsolationError extends McpError {
  constructor(
    readonly tool: string,
    readonly reason: IsolationFailure,
    message: string,
    extra?: Record<string, unknown>,
  ) {
    super(reason === 'isolate_busy' ? ErrorCode.ServerError : ErrorCode.InternalError, message, { reason, tool, ...extra });
  }
}

/** One call: what to run, the context it reports to, and how to settle its caller. */
interface Job {
  msg: CallMessage;
  ctx: HandlerContext;
  resolve(r: CallToolResult): void;
  reject(e: Error): void;
  /** The caller got its answer (result, error or cancellation); later messages are dropped. */
  done: boolean;
  /** The worker began it: the handler may have run, so it is never retried. */
  started: boolean;
  /** Already handed to a replacement once after its worker died before starting it. */
  retried: boolean;
  offAbort?: () => void;
}

interface Slot {
  worker: Worker;
  threadId: number;
  job: Job | undefined;
  graceTimer: NodeJS.Timeout | undefined;
  /** The last uncaught error the worker reported before exiting. */
  error: Error | undefined;
  /** It reported an uncaught error: it is about to exit and gets no new call. */
  dying: boolean;
  exited: Promise<void>;
}

export interface PoolStats {
  /** Live worker threads. */
  workers: number;
  /** Workers running a call. */
  busy: number;
  /** Calls waiting for a worker. */
  queued: number;
  /** Workers started since the pool was created (replacements included). */
  started: number;
  /** Workers that died or were terminated while the pool was open. */
  replaced: number;
}

export function defaultPoolSize(): number {
  // Keep a core for the event loop that serves every session.
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

/**
 * Runs isolated tool calls on worker threads. A server makes one on the first isolated call
 * (`ServerOptions.isolation` configures it) and closes it with `server.close()`.
 *
 * Events: `spawn(threadId)` when a worker starts; `exit(threadId, reason)` when one leaves the
 * pool while it is open — reason `'crash'` (it died) or `'cancelled'` (terminated: its cancelled
 * call did not settle within `cancelGraceMs`).
 *
 * @example
 * const pool = new WorkerPool({ size: 2, maxQueue: 8 });
 * pool.on('exit', (threadId, reason) => log.warn({ threadId, reason }, 'isolated worker replaced'));
 */
export class WorkerPool extends EventEmitter {
  readonly size: number;
  readonly maxQueue: number;
  readonly cancelGraceMs: number;
  readonly nice: number;
  private readonly slots = new Set<Slot>();
  private readonly queue: Job[] = [];
  private nextId = 1;
  private started = 0;
  private replaced = 0;
  private closed = false;

  constructor(private readonly options: IsolationOptions = {}) {
    super();
    this.size = Math.max(1, options.size ?? defaultPoolSize());
    this.maxQueue = Math.max(0, options.maxQueue ?? 32);
    this.cancelGraceMs = Math.max(0, options.cancelGraceMs ?? 500);
    this.nice = Math.min(19, Math.max(0, Math.trunc(options.nice ?? 10)));
  }

  stats(): PoolStats {
    let busy = 0;
    for (const s of this.slots) if (s.job) busy++;
    return { workers: this.slots.size, busy, queued: this.queue.length, started: this.started, replaced: this.replaced };
  }

  /** Runs `export` of `module` with `args` on a worker; `ctx` receives its progress and logs. */
  run(tool: string, module: string, exportName: string, args: Record<string, unknown>, ctx: HandlerContext): Promise<CallToolResult> {
    if (this.closed) return Promise.reject(new IsolationError(tool, 'isolate_closed', `Tool ${tool}: the isolated-tool pool is closed`));
    if (ctx.signal.aborted) return Promise.reject(abortError(ctx.signal));
    return new Promise<CallToolResult>((resolve, reject) => {
      const msg: CallMessage = { t: 'call', id: this.nextId++, module, export: exportName, tool, args, requestId: ctx.requestId, sessionId: ctx.sessionId, meta: ctx.meta };
      const job: Job = { msg, ctx, resolve, reject, done: false, started: false, retried: false };
      const slot = this.idleSlot();
      if (!slot && this.queue.length >= this.maxQueue) {
        const s = this.stats();
        reject(new IsolationError(tool, 'isolate_busy', `Tool ${tool}: all ${s.workers} isolated workers are busy and ${s.queued} calls are queued (maxQueue ${this.maxQueue}); retry later`, { workers: s.workers, queue: this.maxQueue }));
        return;
      }
      const onAbort = (): void => this.cancel(job);
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      job.offAbort = () => ctx.signal.removeEventListener('abort', onAbort);
      if (slot) this.start(slot, job);
      else this.queue.push(job);
    });
  }

  /** Terminates every worker; queued and running calls fail with a -32603 error. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const job of this.queue.splice(0)) this.settle(job, undefined, new IsolationError(job.msg.tool, 'isolate_closed', `Tool ${job.msg.tool}: server closing`));
    const exits: Promise<void>[] = [];
    for (const slot of this.slots) {
      if (slot.job) this.settle(slot.job, undefined, new IsolationError(slot.job.msg.tool, 'isolate_closed', `Tool ${slot.job.msg.tool}: server closing`));
      exits.push(slot.exited);
      void slot.worker.terminate();
    }
    await Promise.all(exits);
  }

  private idleSlot(): Slot | undefined {
    for (const s of this.slots) if (!s.job && !s.dying) return s;
    return this.slots.size < this.size ? this.spawn() : undefined;
  }

  private spawn(): Slot {
    // The worker sends its own stdout to stderr (worker-entry.ts): stdout may be the protocol stream.
    const workerData: WorkerInit = { nice: this.nice };
    const worker = new Worker(ENTRY, { resourceLimits: this.options.resourceLimits, name: 'erlmcp-isolated-tool', workerData });
    let exitedResolve!: () => void;
    const slot: Slot = { worker, threadId: worker.threadId, job: undefined, graceTimer: undefined, error: undefined, dying: false, exited: new Promise((r) => (exitedResolve = r)) };
    worker.on('message', (m: FromWorker) => this.onMessage(slot, m));
    worker.on('error', (e) => {
      slot.error = e;
      slot.dying = true;
    });
    worker.on('exit', (code) => {
      exitedResolve();
      this.onExit(slot, code);
    });
    worker.unref();
    this.slots.add(slot);
    this.started++;
    this.emit('spawn', slot.threadId);
    return slot;
  }

  private start(slot: Slot, job: Job): void {
    try {
      slot.worker.postMessage(job.msg satisfies ToWorker);
    } catch (e) {
      // DataCloneError: an input schema transformed the arguments into something that cannot
      // cross threads (a function, a class instance with private state). The tool's fault, not
      // the pool's: an isError result, and the worker takes the next call.
      this.settle(job, undefined, new Error(`arguments cannot be passed to the worker thread: ${e instanceof Error ? e.message : String(e)}`));
      const next = this.queue.shift();
      if (next) this.start(slot, next);
      return;
    }
    slot.job = job;
    // A busy worker keeps the process alive; an idle pool does not.
    slot.worker.ref();
  }

  private onMessage(slot: Slot, m: FromWorker): void {
    const job = slot.job;
    if (!job || job.msg.id !== m.id) return;
    switch (m.t) {
      case 'started':
        job.started = true;
        return;
      case 'progress':
        if (!job.done) job.ctx.progress(m.progress, m.total, m.message).catch(() => {});
        return;
      case 'log':
        if (!job.done) job.ctx.log(m.level, m.data, m.logger).catch(() => {});
        return;
      case 'result':
        this.settle(job, m.result);
        break;
      case 'error': {
        const tool = job.msg.tool;
        // A handler's own error becomes an isError result (as for any tool); a load failure is ours.
        this.settle(job, undefined, m.load ? new IsolationError(tool, 'isolate_load', `Tool ${tool}: ${m.message}`) : new Error(m.message));
        break;
      }
    }
    this.release(slot);
  }

  /** The worker finished its call (or settled it after cancellation): give it the next one. */
  private release(slot: Slot): void {
    clearTimeout(slot.graceTimer);
    slot.graceTimer = undefined;
    slot.job = undefined;
    slot.worker.unref();
    if (slot.dying) return;
    const next = this.queue.shift();
    if (next) this.start(slot, next);
  }

  private cancel(job: Job): void {
    const reason = abortError(job.ctx.signal);
    const queued = this.queue.indexOf(job);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.settle(job, undefined, reason);
      return;
    }
    const slot = [...this.slots].find((s) => s.job === job);
    this.settle(job, undefined, reason);
    if (!slot) return;
    slot.worker.postMessage({ t: 'abort', id: job.msg.id, reason: reason.message } satisfies ToWorker);
    // A handler that ignores its signal (or cannot see it: a busy loop) loses its thread.
    slot.graceTimer = setTimeout(() => {
      if (slot.job !== job) return;
      this.retire(slot, 'cancelled');
      void slot.worker.terminate();
    }, this.cancelGraceMs);
    slot.graceTimer.unref();
  }

  private onExit(slot: Slot, code: number): void {
    clearTimeout(slot.graceTimer);
    if (!this.slots.has(slot)) return;
    if (this.closed) {
      this.slots.delete(slot);
      return;
    }
    const job = slot.job;
    if (job && !job.done && !job.started && !job.retried) {
      // It died before it began this call (a stray error left by the previous one): the handler
      // never ran, so the call goes first to the replacement instead of failing. Once only, in
      // case workers cannot start at all.
      job.retried = true;
      this.queue.unshift(job);
    } else if (job && !job.done) {
      const tool = job.msg.tool;
      const why = slot.error ? `${slot.error.name}: ${slot.error.message}` : `exit code ${code}`;
      this.settle(job, undefined, new IsolationError(tool, 'isolate_crash', `Tool ${tool} crashed its worker thread (${why}); the worker was replaced`));
    }
    this.retire(slot, 'crash');
  }

  /**
   * Takes a dead or doomed worker out of the pool and starts its replacement now when it was
   * running a call or calls are waiting — so the next call does not pay the start-up. (A worker
   * that dies idle is replaced on demand; that also stops a loop if workers cannot start at all.)
   */
  private retire(slot: Slot, reason: 'crash' | 'cancelled'): void {
    this.slots.delete(slot);
    this.replaced++;
    this.emit('exit', slot.threadId, reason);
    if ((slot.job === undefined && this.queue.length === 0) || this.slots.size >= this.size) return;
    const replacement = this.spawn();
    const next = this.queue.shift();
    if (next) this.start(replacement, next);
  }

  private settle(job: Job, result: CallToolResult | undefined, error?: Error): void {
    if (job.done) return;
    job.done = true;
    job.offAbort?.();
    if (error) job.reject(error);
    else job.resolve(result!);
  }
}

function abortError(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : new Error(typeof r === 'string' ? r : 'Cancelled');
}
