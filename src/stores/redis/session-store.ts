/**
 * SessionStore on Redis: one JSON string per session under `<prefix>s:<id>`, with the idle TTL
 * as a PEXPIRE — Redis itself expires idle sessions, no sweeper.
 *
 * Two indexes let any node reach every session for server-wide notifications
 * (docs/deployment.md#notifications-across-nodes): `<prefix>su:<uri>`, the sessions subscribed
 * to a resource, and `<prefix>si`, the initialized sessions. `set`, `touch` and `delete` keep
 * them in step atomically (Lua), and an index lives as long as its longest-lived session (every
 * key has a TTL: nothing outlives its sessions). A session that expires leaves its id behind,
 * which the readers drop lazily. The scripts name index keys they compute, so they need one
 * Redis (or Sentinel), not Redis Cluster. `get`, on the hot path, stays a single GET; `touch`
 * runs at most every TTL/10 per session.
 */
import type { SessionState, SessionStore } from '../types.js';
import { luaScript, type RedisConnection } from './connection.js';

/** Lua: gives an index key at least `ttl` ms more (never shortens another session's share). */
const EXTEND = `local function extend(k, ttl)
  if redis.call('PTTL', k) < tonumber(ttl) then redis.call('PEXPIRE', k, ttl) end
end
`;

// KEYS: state, initialized set. ARGV: json, ttl ms, id, subscription key prefix, initialized ('1'|'0'), uris…
// The previous state's subscriptions come from the stored JSON, so an unsubscribe on any node
// removes the id from that resource's set.
const SET = luaScript(`${EXTEND}local old = redis.call('GET', KEYS[1])
local keep = {}
for i = 6, #ARGV do keep[ARGV[i]] = true end
if old then
  local ok, st = pcall(cjson.decode, old)
  if ok and type(st) == 'table' and type(st.subscriptions) == 'table' then
    for _, uri in ipairs(st.subscriptions) do
      if not keep[uri] then redis.call('SREM', ARGV[4] .. uri, ARGV[3]) end
    end
  end
end
for i = 6, #ARGV do
  redis.call('SADD', ARGV[4] .. ARGV[i], ARGV[3])
  extend(ARGV[4] .. ARGV[i], ARGV[2])
end
if ARGV[5] == '1' then
  redis.call('SADD', KEYS[2], ARGV[3])
  extend(KEYS[2], ARGV[2])
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`);

// KEYS: state, initialized set. ARGV: ttl ms, subscription key prefix. Returns 0 when the session is gone.
const TOUCH = luaScript(`${EXTEND}if redis.call('PEXPIRE', KEYS[1], ARGV[1]) == 0 then return 0 end
local ok, st = pcall(cjson.decode, redis.call('GET', KEYS[1]))
if ok and type(st) == 'table' then
  if st.initialized == true then extend(KEYS[2], ARGV[1]) end
  if type(st.subscriptions) == 'table' then
    for _, uri in ipairs(st.subscriptions) do extend(ARGV[2] .. uri, ARGV[1]) end
  end
end
return 1`);

// KEYS: state, initialized set. ARGV: id, subscription key prefix.
const DELETE = luaScript(`local old = redis.call('GET', KEYS[1])
if old then
  local ok, st = pcall(cjson.decode, old)
  if ok and type(st) == 'table' and type(st.subscriptions) == 'table' then
    for _, uri in ipairs(st.subscriptions) do redis.call('SREM', ARGV[2] .. uri, ARGV[1]) end
  end
end
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[1])
return 1`);

/** Existence checks per pipeline when reading an index. */
const CHUNK = 1000;

export class RedisSessionStore implements SessionStore {
  constructor(private readonly conn: RedisConnection) {}

  private key(id: string): string {
    return this.conn.key(`s:${id}`);
  }

  private get initializedKey(): string {
    return this.conn.key('si');
  }

  private get subscriptionPrefix(): string {
    return this.conn.key('su:');
  }

  /** False while Redis is unreachable (no I/O). */
  get available(): boolean {
    return this.conn.available;
  }

  ping(): Promise<void> {
    return this.conn.ping();
  }

  async get(id: string): Promise<SessionState | undefined> {
    const raw = await this.conn.cmd.get(this.key(id));
    if (raw === null) return undefined;
    try {
      return JSON.parse(raw) as SessionState;
    } catch {
      return undefined; // not ours: treat as absent rather than failing every request of it
    }
  }

  async set(state: SessionState, ttlMs: number): Promise<void> {
    const ttl = Math.max(1, Math.ceil(ttlMs));
    await this.conn.eval(SET, [this.key(state.id), this.initializedKey], [JSON.stringify(state), ttl, state.id, this.subscriptionPrefix, state.initialized ? '1' : '0', ...state.subscriptions]);
  }

  async touch(id: string, ttlMs: number): Promise<boolean> {
    return (await this.conn.eval(TOUCH, [this.key(id), this.initializedKey], [Math.max(1, Math.ceil(ttlMs)), this.subscriptionPrefix])) === 1;
  }

  async delete(id: string): Promise<void> {
    await this.conn.eval(DELETE, [this.key(id), this.initializedKey], [id, this.subscriptionPrefix]);
  }

  subscriberIds(uri: string): Promise<string[]> {
    return this.liveMembers(this.subscriptionPrefix + uri);
  }

  initializedIds(): Promise<string[]> {
    return this.liveMembers(this.initializedKey);
  }

  /** An index's ids whose session still exists; expired ones are removed from it on the way. */
  private async liveMembers(setKey: string): Promise<string[]> {
    const ids = await this.conn.cmd.smembers(setKey);
    const live: string[] = [];
    const stale: string[] = [];
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK);
      const pipe = this.conn.cmd.pipeline();
      for (const id of chunk) pipe.exists(this.key(id));
      const answers = (await pipe.exec()) ?? [];
      chunk.forEach((id, j) => ((answers[j]?.[1] as number | undefined) === 1 ? live : stale).push(id));
    }
    if (stale.length > 0) await this.conn.cmd.srem(setKey, ...stale);
    return live;
  }

  /** The connection belongs to whoever created it (see `connectRedisStores`). */
  async close(): Promise<void> {}
}
