/**
 * Cache keys. A cached response is identified by the request method and the parameters that
 * shape its result (2026-07-28 server/utilities/caching §Cache Key): the URI of `resources/read`,
 * the tool name and its arguments for `tools/call` — arguments in canonical JSON (keys sorted at
 * every depth), so `{a,b}` and `{b,a}` are one entry. `_meta` is never part of a key: it carries
 * progress tokens and the 2026-07-28 envelope, not inputs of the result. Where results differ per
 * caller, the caller's identity is part of the key too.
 */
import { createHash } from 'node:crypto';
import { configure } from 'safe-stable-stringify';
import { ErlmcpError } from '../../protocol/errors.js';
import type { AuthInfo } from '../../protocol/transport.js';

/** Which entries one invalidation drops: a whole class (list_changed), or one tool or one URI. */
export type CacheClass = 'tools' | 'resources';

// Sorted keys at every depth; a cycle or a BigInt is refused rather than stringified loosely.
const stable = configure({ deterministic: true, circularValue: TypeError, bigint: false, strict: true });

/**
 * Canonical JSON of a value: object keys sorted (by code unit) at every depth, no whitespace,
 * numbers as JSON.stringify writes them. Throws ErlmcpError('ERR_INVALID_ARGUMENT') for values
 * JSON cannot carry (a cycle, a BigInt, a function).
 *
 * @example
 * canonicalJson({ b: 1, a: { d: 2, c: 3 } }); // '{"a":{"c":3,"d":2},"b":1}'
 */
export function canonicalJson(value: unknown): string {
  try {
    const s = stable(value);
    if (typeof s !== 'string') throw new TypeError('not representable as JSON');
    return s;
  } catch (e) {
    throw new ErlmcpError('ERR_INVALID_ARGUMENT', `Cache key: arguments are not canonical JSON (${(e as Error).message})`, { cause: e });
  }
}

/**
 * The caller as the cache tells callers apart: the identity an auth hook established
 * (`method:subject`, the principal a session is bound to), or '' for an unauthenticated call.
 * Unauthenticated callers cannot be told apart by the server either, so they share one scope.
 */
export function identityOf(auth: AuthInfo | undefined): string {
  if (auth === undefined) return '';
  return `${auth.method ?? ''}:${auth.subject ?? auth.clientId ?? ''}`;
}

/** Where one request's entry lives: its class and group (for invalidation) and its key. */
export interface EntryKey {
  readonly cls: CacheClass;
  /** The tool name or the resource URI. */
  readonly target: string;
  /** The exact local key (method, target, caller or null when shared, canonical arguments). */
  readonly local: string;
}

/**
 * The key of one request; `who` undefined means shared by every caller. `argsJson` is the
 * canonical JSON of the tool's arguments ('' for `resources/read`, whose URI is the whole key).
 */
export function entryKey(cls: CacheClass, target: string, who: string | undefined, argsJson: string): EntryKey {
  return { cls, target, local: JSON.stringify([cls, target, who ?? null]) + argsJson };
}

/** A fixed-length digest for Redis key names (a local key can be as long as the arguments). */
export function digest(s: string): string {
  return createHash('sha256').update(s).digest('base64url');
}
