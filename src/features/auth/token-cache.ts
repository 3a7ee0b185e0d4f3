/**
 * Verified JWTs remembered for a short while (jwt.ts), so a client reusing one access token —
 * the normal case: a token lives minutes to hours — pays a SHA-256 and a map lookup per request
 * instead of a signature check.
 *
 * - Keyed by the SHA-256 digest of the token, never the token: a heap snapshot or a debugger
 *   looking at the cache finds no bearer credential it could replay.
 * - Only tokens that passed every check are stored; a failure is never remembered, so a token
 *   that differs in one character (a tampered signature) has another digest and is verified in
 *   full.
 * - An entry lives until the token's `exp` or `maxAgeMs` after verification, whichever comes
 *   first (bounding how long a token signed by a key since withdrawn from the JWKS is still
 *   accepted), and every hit re-checks `exp`/`nbf` against the current clock with the same skew
 *   jose applies (RFC 7519 §4.1.4, §4.1.5), so a remembered token is never accepted where a
 *   fresh verification would refuse it.
 * - At most `max` entries, least recently used evicted first.
 */
import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { AuthInfo } from '../../protocol/transport.js';

/** The cache key of a token: its SHA-256, as a 32-character binary (latin1) string (the cheapest string form of the digest). */
export function tokenDigest(token: string): string {
  return hash('sha256', token, 'binary');
}

interface Entry {
  readonly info: AuthInfo;
  /** `exp` and `nbf` claims, seconds since the epoch. */
  readonly exp: number;
  readonly nbf: number | undefined;
  /** When it was verified and when it must be verified again, ms since the epoch. */
  readonly at: number;
  readonly until: number;
}

export class VerifiedTokens {
  private readonly lru: LRUCache<string, Entry>;

  /**
   * @param maxAgeMs longest time a verified token is remembered (> 0)
   * @param max entries kept at most
   * @param skewSec the clock tolerance of the verifier, seconds
   */
  constructor(
    readonly maxAgeMs: number,
    max: number,
    private readonly skewSec: number,
  ) {
    // No lru-cache ttl: expiry is checked here on every hit anyway, and lru-cache's ttl clock
    // would add a timer per millisecond under load.
    this.lru = new LRUCache({ max });
  }

  get size(): number {
    return this.lru.size;
  }

  /** The identity of a remembered token still valid now, else undefined (and the entry is dropped). */
  get(digest: string): AuthInfo | undefined {
    const e = this.lru.get(digest);
    if (e === undefined) return undefined;
    const now = Date.now();
    const sec = Math.floor(now / 1000);
    // `now < e.at`: the clock went back; re-verify rather than trust an age we cannot know.
    if (now >= e.until || now < e.at || e.exp <= sec - this.skewSec || (e.nbf !== undefined && e.nbf > sec + this.skewSec)) {
      this.lru.delete(digest);
      return undefined;
    }
    return e.info;
  }

  /** Remembers a token that has just passed verification. Tokens without a numeric `exp` are not remembered. */
  set(digest: string, info: AuthInfo, exp: unknown, nbf: unknown): void {
    if (typeof exp !== 'number') return;
    const now = Date.now();
    const until = Math.min(now + this.maxAgeMs, exp * 1000);
    if (until <= now) return;
    this.lru.set(digest, { info, exp, nbf: typeof nbf === 'number' ? nbf : undefined, at: now, until });
  }
}
