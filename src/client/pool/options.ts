/**
 * ClientPool configuration, statistics and events. Every limit has a default here and an option;
 * docs/pool.md-style reference lives in the JSDoc of each field.
 */
import type { Client } from '../client.js';

/** Opens one session to an upstream: any transport (stdio child, HTTP, WS, TCP). Must resolve with a connected client. */
export type ClientFactory = () => Promise<Client>;

/** One upstream server: a name for stats and errors, and how to open a session to it. */
export interface UpstreamSpec {
  name: string;
  connect: ClientFactory;
}

/** Circuit breaker per upstream (cockatiel SamplingBreaker): failure ratio over a time window. */
export interface BreakerOptions {
  /** The circuit opens when more than this fraction (0..1) of the calls in the window failed. Default 0.5. */
  failureRatio?: number;
  /** The sliding window, ms. Default 30 000. */
  windowMs?: number;
  /** Calls in the window below which the circuit never opens. Default 10. */
  minimumCalls?: number;
  /** Cool-down before one probe call is let through (half-open), ms. Default 10 000. */
  halfOpenAfterMs?: number;
}

/** Retries of calls that are safe to repeat (see safe.ts): exponential backoff with jitter. */
export interface RetryOptions {
  /** Retries after the first attempt. Default 2; 0 disables retrying. */
  maxRetries?: number;
  /** First backoff delay, ms (decorrelated jitter around it). Default 100. */
  initialDelayMs?: number;
  /** Backoff ceiling, ms. Default 5 000. */
  maxDelayMs?: number;
}

export interface PoolOptions {
  /** Sessions per upstream (for stdio: child processes). Default 4. */
  maxSessions?: number;
  /** Sessions per upstream opened by `start()` and kept open. Default 1. */
  minSessions?: number;
  /** Calls in flight per upstream; callers past it wait in the queue. Default 64. */
  maxInFlight?: number;
  /** Callers waiting for a slot (whole pool); past it a call fails with ERR_LIMIT. Default 1 000. */
  maxQueue?: number;
  /** How long a caller waits in the queue before ERR_LIMIT, ms. Default 30 000. */
  queueTimeoutMs?: number;
  /** Ping interval for idle sessions, ms; 0 turns health checks off. Default 30 000. */
  healthCheckIntervalMs?: number;
  /** A ping slower than this fails the check, ms. Default 5 000. */
  healthCheckTimeoutMs?: number;
  /** Per-call timeout, ms (the request is cancelled upstream when it passes). Default 60 000. */
  callTimeoutMs?: number;
  /** Circuit breaker per upstream; false turns it off. */
  breaker?: BreakerOptions | false;
  retry?: RetryOptions;
  /**
   * Overrides the built-in "safe to repeat" rule for a call (return undefined to keep it).
   * The built-in rule: ping, list methods, resources/read, prompts/get, completion/complete, and
   * tools/call of a tool annotated readOnlyHint + idempotentHint (learned from tools/list).
   */
  isSafeToRepeat?: (method: string, params: Record<string, unknown> | undefined) => boolean | undefined;
}

export const POOL_DEFAULTS = {
  maxSessions: 4,
  minSessions: 1,
  maxInFlight: 64,
  maxQueue: 1000,
  queueTimeoutMs: 30_000,
  healthCheckIntervalMs: 30_000,
  healthCheckTimeoutMs: 5_000,
  callTimeoutMs: 60_000,
  breaker: { failureRatio: 0.5, windowMs: 30_000, minimumCalls: 10, halfOpenAfterMs: 10_000 },
  retry: { maxRetries: 2, initialDelayMs: 100, maxDelayMs: 5_000 },
} as const;

export type CircuitStatus = 'closed' | 'open' | 'half-open' | 'off';

export interface UpstreamStats {
  name: string;
  /** Open sessions (stdio: live children). */
  sessions: number;
  /** Sessions being opened now. */
  opening: number;
  inFlight: number;
  /** Sessions replaced after they died, failed a health check or lost their server session. */
  replacements: number;
  circuit: CircuitStatus;
}

export interface PoolStats {
  sessions: number;
  inFlight: number;
  queued: number;
  replacements: number;
  upstreams: UpstreamStats[];
}

/** Why a session left the pool. */
export type SessionEndReason = 'closed' | 'health' | 'lost' | 'shutdown';

/** Events a ClientPool emits (for metrics and logs). */
export interface PoolEvents {
  'session-open': [{ upstream: string; sessions: number }];
  'session-end': [{ upstream: string; reason: SessionEndReason; error?: unknown }];
  /** A fresh session was opened in place of one that ended (not on shutdown). */
  replaced: [{ upstream: string; reason: SessionEndReason }];
  /** Opening a session failed. */
  'connect-failed': [{ upstream: string; error: unknown }];
  circuit: [{ upstream: string; state: CircuitStatus; retryAt?: number }];
  /** A safe call failed and will be sent again (`attempt`: the retry's number, from 1). */
  retry: [{ upstream: string; method: string; attempt: number; error: unknown }];
  /** A call refused by the queue bound or its wait limit. */
  rejected: [{ reason: 'queue-full' | 'queue-timeout'; method: string }];
}
