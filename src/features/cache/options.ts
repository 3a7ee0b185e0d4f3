/**
 * Options of the two-level cache, their defaults and their checks. Every bound has a default and
 * an option (docs/cache.md#bounds).
 */
import { ErlmcpError } from '../../protocol/errors.js';
import type { ToolAnnotations } from '../../protocol/types.js';
import type { MessageBus } from '../../stores/types.js';
import type { RedisConnection } from '../../stores/redis/connection.js';

/**
 * Who may be served an entry: `'shared'` — every caller of the same request; `'caller'` — only the
 * caller that fetched it (the identity on the call's auth info), like a 2026-07-28 result marked
 * `cacheScope: 'private'` (server/utilities/caching).
 */
export type CacheScope = 'shared' | 'caller';

/** How long entries of one kind live, and who shares them. */
export interface CachePolicy {
  /** Lifetime of an entry in ms (an upstream's smaller `ttlMs` wins). Default: the cache's `ttlMs`. */
  ttlMs?: number;
  /** Default: the cache's `scope`. */
  scope?: CacheScope;
}

export interface McpCacheOptions {
  /** L1 (in-process) entries. Default 10,000. */
  maxEntries?: number;
  /** L1 bytes: the encoded (JSON) size of every entry plus its key. Default 64 MiB. */
  maxBytes?: number;
  /** A result whose encoding is larger is served but not cached, at either level. Default 1 MiB. */
  maxEntryBytes?: number;
  /** Default lifetime of an entry, ms. Default 60,000. */
  ttlMs?: number;
  /** Default scope. Default `'caller'`: an entry never crosses callers unless a policy says so. */
  scope?: CacheScope;
  /** `resources/read` caching: a policy, `true` (the defaults) or `false` (off). Default `true`. */
  resources?: boolean | CachePolicy;
  /**
   * Tools whose `tools/call` results are cached, by name. Each must be annotated
   * `readOnlyHint: true` and `idempotentHint: true`; enabling one that is not fails with an error
   * naming it. Default: none.
   */
  tools?: Record<string, true | CachePolicy>;
  /** L2: a Redis connection shared by every node (`connectRedisStores(...).connection`). Default: none (L1 only). */
  redis?: RedisConnection;
  /** Carries invalidations to the other nodes. Default: a RedisBus on `redis` when given, else none. */
  bus?: MessageBus;
  /** Name of this cache's keys (under the connection's prefix) and of its bus channel. Default `'cache'`. */
  namespace?: string;
  /** A Redis failure (the cache then serves from L1 and the handler; calls never fail because of it). */
  onerror?: (error: Error) => void;
  /** The L1 clock (`performance`-like), for tests. Default `performance`. */
  clock?: { now(): number };
}

export const CACHE_DEFAULTS = {
  maxEntries: 10_000,
  maxBytes: 64 * 1024 * 1024,
  maxEntryBytes: 1024 * 1024,
  ttlMs: 60_000,
  scope: 'caller' as CacheScope,
  namespace: 'cache',
} as const;

export interface ResolvedPolicy {
  readonly ttlMs: number;
  readonly scope: CacheScope;
}

function bad(message: string): ErlmcpError {
  return new ErlmcpError('ERR_INVALID_ARGUMENT', `cache: ${message}`);
}

export function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw bad(`${name} must be a positive number (got ${String(value)})`);
  return value;
}

function scopeOf(name: string, value: CacheScope | undefined, fallback: CacheScope): CacheScope {
  if (value === undefined) return fallback;
  if (value !== 'shared' && value !== 'caller') throw bad(`${name} must be 'shared' or 'caller' (got ${JSON.stringify(value)})`);
  return value;
}

export function resolvePolicy(name: string, p: true | CachePolicy, base: ResolvedPolicy): ResolvedPolicy {
  if (p === true) return base;
  return { ttlMs: positive(`${name}.ttlMs`, p.ttlMs, base.ttlMs), scope: scopeOf(`${name}.scope`, p.scope, base.scope) };
}

export function resolveBase(o: McpCacheOptions): ResolvedPolicy {
  return { ttlMs: positive('ttlMs', o.ttlMs, CACHE_DEFAULTS.ttlMs), scope: scopeOf('scope', o.scope, CACHE_DEFAULTS.scope) };
}

/**
 * Only tools that promise not to change anything (`readOnlyHint`) and to answer the same
 * arguments the same way (`idempotentHint`) may be cached (server/tools#tool-annotations).
 */
export function cacheableAnnotations(a: ToolAnnotations | undefined): boolean {
  return a?.readOnlyHint === true && a.idempotentHint === true;
}

/** The refusal for a tool that may not be cached, naming it and what it lacks. */
export function refuseTool(name: string, a: ToolAnnotations | undefined, known: boolean): ErlmcpError {
  if (!known) return bad(`tool "${name}" cannot be cached: no such tool is registered (register it before enabling its cache)`);
  const missing = [a?.readOnlyHint === true ? undefined : 'readOnlyHint: true', a?.idempotentHint === true ? undefined : 'idempotentHint: true'].filter(Boolean);
  return bad(`tool "${name}" cannot be cached: it is not annotated ${missing.join(' and ')} (only read-only, idempotent tools may be)`);
}
