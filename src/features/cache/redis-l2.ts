/**
 * The shared level (L2) on Redis: entries as JSON strings with a PX expiry, under
 * `<connection prefix><namespace>:v:…`, reachable only through the current *epochs* of their class
 * (`tools`, `resources`) and group (one tool, one URI). Invalidation writes a new random epoch (one
 * SET): every entry written under the old epoch becomes unreachable at once, on every node, and
 * expires on its own — no SCAN, no index to keep. An entry loaded before an invalidation is
 * written under the epochs read before it, so a slow load can never put a stale value back where
 * readers look.
 *
 * An epoch key lives twice the longest entry TTL after it was written. Once it has expired the
 * group reads as epoch '0' again, which is safe: every entry stored under '0' was stored before
 * that epoch key was written, so it has expired too; random epochs never repeat.
 */
import { randomBytes } from 'node:crypto';
import { luaScript, type RedisConnection } from '../../stores/redis/connection.js';
import { digest, type CacheClass } from './key.js';

/** What one L2 lookup found: the key a miss should be stored under, and the hit if any. */
export interface L2Lookup {
  /** One slot per candidate key asked for, in order. */
  readonly slots: readonly { readonly key: string; readonly json: string | undefined; readonly ttlMs: number }[];
}

// KEYS: class epoch, group epoch. ARGV: entry prefix, then one digest per candidate.
const GET = luaScript(`
local c = redis.call('GET', KEYS[1]) or '0'
local g = redis.call('GET', KEYS[2]) or '0'
local out = {}
for i = 2, #ARGV do
  local k = ARGV[1] .. c .. ':' .. g .. ':' .. ARGV[i]
  local v = redis.call('GET', k)
  out[#out + 1] = k
  out[#out + 1] = v
  out[#out + 1] = v and redis.call('PTTL', k) or 0
end
return out
`);

export class RedisL2 {
  private readonly base: string;

  constructor(
    private readonly conn: RedisConnection,
    namespace: string,
    /** Lifetime of an epoch key: at least the longest entry TTL. */
    private readonly epochTtlMs: number,
  ) {
    this.base = conn.key(`${namespace}:`);
  }

  /** False while Redis is unreachable: the cache then works on L1 alone, without waiting. */
  get available(): boolean {
    return this.conn.available;
  }

  private classEpoch(cls: CacheClass): string {
    return `${this.base}e:${cls}`;
  }

  private groupEpoch(cls: CacheClass, target: string): string {
    return `${this.base}e:${cls}:${digest(target)}`;
  }

  /** Looks up each candidate local key (in order); one round trip. */
  async get(cls: CacheClass, target: string, locals: readonly string[]): Promise<L2Lookup> {
    const r = (await this.conn.eval(GET, [this.classEpoch(cls), this.groupEpoch(cls, target)], [`${this.base}v:`, ...locals.map(digest)])) as (string | null | number)[];
    const slots = [];
    for (let i = 0; i < r.length; i += 3) slots.push({ key: r[i] as string, json: (r[i + 1] as string | null) ?? undefined, ttlMs: Number(r[i + 2]) });
    return { slots };
  }

  /** Stores under the key a lookup returned (so under the epochs read then). */
  async set(key: string, json: string, ttlMs: number): Promise<void> {
    await this.conn.cmd.set(key, json, 'PX', Math.max(1, Math.ceil(ttlMs)));
  }

  /** Drops one group (a tool, a URI), or the whole class when `target` is undefined. */
  async invalidate(cls: CacheClass, target: string | undefined): Promise<void> {
    const epoch = target === undefined ? this.classEpoch(cls) : this.groupEpoch(cls, target);
    await this.conn.cmd.set(epoch, randomBytes(8).toString('base64url'), 'PX', Math.max(1, Math.ceil(this.epochTtlMs)));
  }
}
