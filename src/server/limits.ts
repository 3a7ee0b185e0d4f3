/**
 * The limits one server definition enforces, with defaults that keep a single process alive
 * under hostile load on a small box (docs/limits.md lists each with what the client sees past it).
 */
import { limitError } from '../protocol/errors.js';

export interface ServerLimits {
  /** Live sessions in this process, across every transport. Past it a new session is refused (HTTP 503 + Retry-After). Default 10 000. */
  maxSessions?: number;
  /** JSON size of `clientInfo` + `capabilities` a session keeps from initialize. Past it: -32602. Default 64 KiB. */
  maxClientStateBytes?: number;
  /** Requests running at once in one session (one connection for stream transports). Past it: -32000 `max_in_flight`. Default 256. */
  maxInFlightPerSession?: number;
  /** Server→client requests (sampling, elicitation, roots) awaiting an answer per session. Past it the handler's call rejects with ERR_LIMIT. Default 32. */
  maxPendingClientRequests?: number;
  /** Calls of one tool running at once in this process (a tool's own `concurrency` overrides). Default 256. */
  toolConcurrency?: number;
  /** Calls of one tool waiting for a slot (a tool's own `queue` overrides). Past it: -32000 `tool_busy`. Default 1024. */
  toolQueue?: number;
  /** Time a tool call may run before its signal is aborted and -32001 is answered (a tool's own `timeoutMs` overrides). Default 5 minutes. */
  toolTimeoutMs?: number;
}

export const DEFAULT_LIMITS: Readonly<Required<ServerLimits>> = Object.freeze({
  maxSessions: 10_000,
  maxClientStateBytes: 64 * 1024,
  maxInFlightPerSession: 256,
  maxPendingClientRequests: 32,
  toolConcurrency: 256,
  toolQueue: 1024,
  toolTimeoutMs: 5 * 60_000,
});

export function resolveLimits(limits: ServerLimits | undefined): Readonly<Required<ServerLimits>> {
  if (!limits) return DEFAULT_LIMITS;
  const out = { ...DEFAULT_LIMITS };
  for (const [k, v] of Object.entries(limits) as [keyof ServerLimits, number | undefined][]) {
    if (v === undefined) continue;
    if (typeof v !== 'number' || Number.isNaN(v) || v < 0) throw new RangeError(`limits.${k} must be a non-negative number (Infinity for none), got ${String(v)}`);
    out[k] = v;
  }
  return Object.freeze(out);
}

/**
 * A counting gate with a bounded FIFO queue: at most `max` holders, at most `queue` waiters;
 * past both, `enter()` throws a -32000 `tool_busy` error at once instead of hanging.
 */
export class Gate {
  private running = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(
    readonly name: string,
    readonly max: number,
    readonly queue: number,
  ) {}

  /**
   * Resolves when a slot is held (synchronously undefined when one is free: no promise on the
   * fast path). The caller's signal is asked for only when the call must wait: creating a
   * request's AbortSignal costs more than the whole fast path.
   */
  enter(signalOf: () => AbortSignal | undefined): Promise<void> | undefined {
    if (this.running < this.max) {
      this.running++;
      return undefined;
    }
    const signal = signalOf();
    if (this.waiters.length >= this.queue) {
      throw limitError('tool_busy', `Tool ${this.name} is busy: ${this.running} calls running and ${this.waiters.length} queued (limits ${this.max}/${this.queue}); retry later`, {
        limit: this.max,
        queue: this.queue,
      });
    }
    return new Promise<void>((resolve, reject) => {
      const grant = (): void => {
        signal?.removeEventListener('abort', onAbort);
        this.running++;
        resolve();
      };
      const onAbort = (): void => {
        const i = this.waiters.indexOf(grant);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(signal!.reason instanceof Error ? signal!.reason : new Error(String(signal!.reason ?? 'Cancelled while queued')));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(grant);
    });
  }

  leave(): void {
    this.running--;
    const next = this.waiters.shift();
    if (next) next();
  }

  get size(): { running: number; queued: number } {
    return { running: this.running, queued: this.waiters.length };
  }
}
