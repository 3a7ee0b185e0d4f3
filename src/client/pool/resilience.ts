/**
 * Per-upstream resilience for a ClientPool, built on cockatiel 3.x: a circuit breaker
 * (SamplingBreaker: failure ratio over a time window, with a minimum number of calls; one
 * half-open probe after a cool-down) and retries with exponential backoff and decorrelated
 * jitter. The per-call timeout is the request's own (RequestOptions.timeoutMs), so a timed-out
 * call is also cancelled upstream (basic/utilities/cancellation) rather than left running.
 *
 * Why the pool applies it rather than a `client.use()` middleware: the breaker's state belongs
 * to the upstream, not to one session (all sessions to a dead server fail together), and a
 * retry should go to another, healthy session — which only the pool can pick.
 */
import { BrokenCircuitError, CircuitState, ExponentialBackoff, SamplingBreaker, circuitBreaker, handleWhen, retry, type CircuitBreakerPolicy, type RetryPolicy } from 'cockatiel';
import { ErlmcpError, ErrorCode, McpError } from '../../protocol/errors.js';
import { POOL_DEFAULTS, type BreakerOptions, type CircuitStatus, type RetryOptions } from './options.js';

/** Local failures that say the upstream (or the way to it) is unwell. */
const UNWELL = new Set(['ERR_TIMEOUT', 'ERR_CONNECTION_CLOSED', 'ERR_TRANSPORT', 'ERR_SESSION_EXPIRED', 'ERR_NOT_CONNECTED']);

/**
 * Whether an error counts against the upstream's health: transport failures, timeouts, and
 * wire errors a server gives when it is in trouble (-32603 internal error, -32000 / -32001
 * implementation errors such as overload). A caller's own mistake (-32602, -32601) or a
 * cancellation does not.
 */
export function isUpstreamFailure(e: unknown): boolean {
  if (e instanceof ErlmcpError) return UNWELL.has(e.code);
  if (e instanceof McpError) return e.code === ErrorCode.InternalError || e.code === ErrorCode.ServerError || e.code === ErrorCode.RequestTimeout;
  return false;
}

/** The error a call gets while the circuit is open. */
export function circuitOpenError(upstream: string, retryAt: number): ErlmcpError {
  return new ErlmcpError('ERR_CIRCUIT_OPEN', `Circuit open for upstream "${upstream}": too many recent failures; next probe after ${new Date(retryAt).toISOString()}`, {
    data: { upstream, retryAt, retryAfterMs: Math.max(0, retryAt - Date.now()) },
  });
}

/** The circuit breaker of one upstream. */
export class UpstreamBreaker {
  private readonly policy: CircuitBreakerPolicy | undefined;
  private readonly halfOpenAfterMs: number;
  /** When the circuit last opened + the cool-down: the earliest probe. */
  retryAt = 0;

  constructor(
    readonly upstream: string,
    options: BreakerOptions | false | undefined,
    onState: (state: CircuitStatus, retryAt?: number) => void,
  ) {
    const o = { ...POOL_DEFAULTS.breaker, ...(options || {}) };
    this.halfOpenAfterMs = o.halfOpenAfterMs;
    if (options === false) return;
    // SamplingBreaker counts calls per second and refuses to judge while `total < window ×
    // minimumRps`; half a call below the minimum keeps floating-point rounding out of it.
    const breaker = new SamplingBreaker({ threshold: o.failureRatio, duration: o.windowMs, minimumRps: ((o.minimumCalls - 0.5) * 1000) / o.windowMs });
    this.policy = circuitBreaker(handleWhen(isUpstreamFailure), { halfOpenAfter: o.halfOpenAfterMs, breaker });
    this.policy.onBreak(() => {
      this.retryAt = Date.now() + this.halfOpenAfterMs;
      onState('open', this.retryAt);
    });
    this.policy.onHalfOpen(() => onState('half-open'));
    this.policy.onReset(() => onState('closed'));
  }

  get status(): CircuitStatus {
    if (!this.policy) return 'off';
    const s = this.policy.state;
    return s === CircuitState.Closed ? 'closed' : s === CircuitState.HalfOpen ? 'half-open' : 'open';
  }

  /** Open and still cooling down: the pool does not pick this upstream. */
  refusing(now = Date.now()): boolean {
    return this.status === 'open' && now < this.retryAt;
  }

  /** Runs one attempt through the breaker; an open circuit fails with ERR_CIRCUIT_OPEN. */
  async execute<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.policy) return fn();
    try {
      return await this.policy.execute(fn);
    } catch (e) {
      if (e instanceof BrokenCircuitError) throw circuitOpenError(this.upstream, Math.max(this.retryAt, Date.now()));
      throw e;
    }
  }
}

/** Retries for safe calls; undefined when retrying is off. */
export function retryPolicy(options: RetryOptions | undefined): RetryPolicy | undefined {
  const o = { ...POOL_DEFAULTS.retry, ...options };
  if (o.maxRetries <= 0) return undefined;
  return retry(handleWhen(isUpstreamFailure), {
    maxAttempts: o.maxRetries,
    backoff: new ExponentialBackoff({ initialDelay: o.initialDelayMs, maxDelay: o.maxDelayMs }),
  });
}
