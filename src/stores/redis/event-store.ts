/**
 * EventStore on Redis Streams (basic/transports#resumability-and-redelivery).
 *
 * One Redis Stream per SSE stream, key `<prefix>e:{<session>}/<key>` (the hash tag keeps a
 * session's streams in one Redis Cluster slot). An event id is `<streamId>#<entry id>`, so any
 * node can tell the stream from the id and replay it with `XRANGE (<entry> +`.
 *
 * `append` is one round trip: a Lua script does XADD (MAXLEN ~ N) + PEXPIRE + PUBLISH, so an
 * event is stored, bounded, kept alive and announced atomically. The PUBLISH carries the event
 * to whichever node is *following* the stream (`follow`): the node holding a client's GET
 * stream receives events that other nodes append, live, not only on the next replay.
 *
 * Priming markers (SEP-1699) of per-POST streams cost nothing: such a stream is new, so its
 * start `<streamId>#0-0` is a valid cursor and nothing needs storing. Only streams every node
 * appends to (a session's standalone GET stream, `<session>/_`) store a real marker entry, so
 * a client resuming from it gets exactly what came after it.
 *
 * A finished POST stream is not deleted with a command of its own (no `deleteStream`): its
 * final event, appended with `final`, gives the key a short TTL (`finishedTtlMs`) in the same
 * script call, so a warm `tools/call` stays one round trip and its stream is gone seconds
 * later instead of after the full TTL. A client that lost the connection just then can still
 * resume within that window (its `retry` is about a second).
 */
import type { JSONRPCMessage } from '../../protocol/types.js';
import type { AppendOptions, EventId, EventSink, EventStore, EventStoreStats, StreamFollow } from '../types.js';
import { luaScript, type RedisConnection } from './connection.js';

export interface RedisEventStoreOptions {
  /** Events kept per stream (`MAXLEN ~`, so Redis may keep slightly more). Default 1000. */
  maxEventsPerStream?: number;
  /** Idle time after which a whole stream expires, refreshed by every append. Default 5 minutes. */
  ttlMs?: number;
  /** TTL given to a stream by its final event (`append(…, { final: true })`). Default 30 s. */
  finishedTtlMs?: number;
  /** Streams that several nodes append to, whose priming marker must be stored. Default: `<session>/_`. */
  isShared?: (streamId: string) => boolean;
}

export type { StreamFollow } from '../types.js';

// KEYS[1] stream; ARGV: maxlen, ttl ms, field ('m' message | 'p' marker), value, channel ('' = none).
const APPEND = luaScript(`local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', ARGV[3], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
if ARGV[5] ~= '' then redis.call('PUBLISH', ARGV[5], id .. ' ' .. ARGV[4]) end
return id`);

const START = '0-0';
const ENTRY_ID = /^\d+-\d+$/;

/** Orders two Redis stream entry ids (`<ms>-<seq>`). */
export function compareEntryIds(a: string, b: string): number {
  const ad = a.indexOf('-');
  const bd = b.indexOf('-');
  const ms = Number(a.slice(0, ad)) - Number(b.slice(0, bd));
  return ms !== 0 ? ms : Number(a.slice(ad + 1)) - Number(b.slice(bd + 1));
}

export class RedisEventStore implements EventStore {
  private readonly max: number;
  private readonly ttlMs: number;
  private readonly finishedTtlMs: number;
  private readonly isShared: (streamId: string) => boolean;

  constructor(
    private readonly conn: RedisConnection,
    options: RedisEventStoreOptions = {},
  ) {
    this.max = options.maxEventsPerStream ?? 1000;
    this.ttlMs = options.ttlMs ?? 5 * 60_000;
    this.finishedTtlMs = Math.min(options.finishedTtlMs ?? 30_000, this.ttlMs);
    this.isShared = options.isShared ?? ((id) => id.endsWith('/_'));
  }

  /** False while Redis is unreachable (no I/O). */
  get available(): boolean {
    return this.conn.available;
  }

  ping(): Promise<void> {
    return this.conn.ping();
  }

  /** The Redis key of a stream (exported for tests and operators). */
  key(streamId: string): string {
    const slash = streamId.indexOf('/');
    return slash < 0 ? this.conn.key(`e:${streamId}`) : this.conn.key(`e:{${streamId.slice(0, slash)}}${streamId.slice(slash)}`);
  }

  private channel(streamId: string): string {
    return this.conn.key(`ec:${streamId}`);
  }

  async append(streamId: string, message: JSONRPCMessage | undefined, options?: AppendOptions): Promise<EventId> {
    if (message === undefined && !this.isShared(streamId)) return `${streamId}#${START}`;
    const args = message === undefined ? ['p', '', ''] : ['m', options?.json ?? JSON.stringify(message), this.channel(streamId)];
    const ttl = options?.final ? this.finishedTtlMs : this.ttlMs;
    const id = await this.conn.eval(APPEND, [this.key(streamId)], [this.max, ttl, ...args]);
    return `${streamId}#${String(id)}`;
  }

  streamIdOf(eventId: EventId): string | undefined {
    const hash = eventId.lastIndexOf('#');
    if (hash <= 0) return undefined;
    return ENTRY_ID.test(eventId.slice(hash + 1)) ? eventId.slice(0, hash) : undefined;
  }

  /** Stored entries after `after` and whether the stream exists: one pipelined round trip. */
  private async range(streamId: string, after: string): Promise<{ exists: boolean; entries: [string, string[]][] }> {
    const key = this.key(streamId);
    const replies = await this.conn.cmd
      .pipeline()
      .exists(key)
      .xrange(key, after === START ? '-' : `(${after}`, '+')
      .exec();
    const [existsReply, rangeReply] = replies ?? [];
    if (existsReply?.[0]) throw existsReply[0];
    if (rangeReply?.[0]) throw rangeReply[0];
    return { exists: existsReply?.[1] === 1, entries: (rangeReply?.[1] ?? []) as [string, string[]][] };
  }

  async replayAfter(lastEventId: EventId, send: EventSink): Promise<string | undefined> {
    const streamId = this.streamIdOf(lastEventId);
    if (streamId === undefined) return undefined;
    const after = lastEventId.slice(streamId.length + 1);
    const { exists, entries } = await this.range(streamId, after);
    if (!exists && after !== START) return undefined;
    for (const [id, fields] of entries) {
      if (fields[0] !== 'm' || fields[1] === undefined) continue; // priming marker
      const pending = send(`${streamId}#${id}`, JSON.parse(fields[1]) as JSONRPCMessage);
      if (pending) await pending;
    }
    return streamId;
  }

  /**
   * Replays the stream after `afterEventId`, then delivers, in order and exactly once, every
   * event any node appends to it until `stop()`. Gap-free: the channel is subscribed before the
   * stored events are read, and after a Redis reconnect the stream is read again from the last
   * delivered entry (pub/sub alone would lose what was published meanwhile).
   */
  async follow(streamId: string, afterEventId: EventId, onEvent: (eventId: EventId, message: JSONRPCMessage, replayed: boolean) => void | Promise<void>): Promise<StreamFollow> {
    let last = this.streamIdOf(afterEventId) === streamId ? afterEventId.slice(streamId.length + 1) : START;
    let stopped = false;
    let catchingUp = 0;
    const queue: [string, string][] = [];
    const deliver = (entry: string, json: string | undefined, replayed: boolean): void | Promise<void> => {
      if (stopped || compareEntryIds(entry, last) <= 0) return;
      last = entry;
      if (json === undefined) return; // marker: moves the cursor only
      let message: JSONRPCMessage;
      try {
        message = JSON.parse(json) as JSONRPCMessage;
      } catch {
        return;
      }
      return onEvent(`${streamId}#${entry}`, message, replayed);
    };
    const onMessage = (raw: string): void => {
      const sp = raw.indexOf(' ');
      if (sp <= 0) return;
      if (catchingUp > 0) queue.push([raw.slice(0, sp), raw.slice(sp + 1)]);
      else void deliver(raw.slice(0, sp), raw.slice(sp + 1), false);
    };
    let chain: Promise<boolean> = Promise.resolve(true);
    const catchUp = (): Promise<boolean> => {
      catchingUp++;
      chain = chain
        .then(async () => {
          const { exists, entries } = await this.range(streamId, last);
          // Stored events wait for the sink (a slow reader's backlog is not buffered whole);
          // live ones arriving meanwhile stay queued, so order holds.
          for (const [id, fields] of entries) {
            const pending = deliver(id, fields[0] === 'm' ? fields[1] : undefined, true);
            if (pending) await pending;
          }
          return exists || last === START;
        })
        .finally(() => {
          if (--catchingUp === 0) for (const [entry, json] of queue.splice(0)) void deliver(entry, json, false);
        });
      return chain;
    };
    const resync = (): void => {
      catchUp().catch((e: Error) => this.conn.onerror?.(e));
    };
    catchingUp++; // queue live messages from the moment we subscribe
    let unsubscribe: () => void;
    try {
      unsubscribe = await this.conn.subscribe(this.channel(streamId), onMessage, resync);
    } finally {
      catchingUp--;
    }
    const stop = (): void => {
      stopped = true;
      unsubscribe();
    };
    try {
      const found = await catchUp();
      return { found, stop };
    } catch (e) {
      stop();
      throw e;
    }
  }

  /** Drops the session's shared stream now; its per-POST streams expire with their TTL. */
  async deleteSession(sessionId: string): Promise<void> {
    await this.conn.cmd.del(this.key(`${sessionId}/_`));
  }

  /**
   * Streams held in Redis under this prefix, every node's (one SCAN over the keyspace: meant for
   * a scrape every few seconds, not per request). Events are not counted: that is one XLEN per stream.
   */
  async stats(): Promise<EventStoreStats> {
    const pattern = `${this.conn.key('e:').replace(/[*?[\]\\]/g, '\\$&')}*`;
    let streams = 0;
    let cursor = '0';
    do {
      const [next, keys] = await this.conn.cmd.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      streams += keys.length;
      cursor = next;
    } while (cursor !== '0');
    return { streams };
  }

  /** The connection belongs to whoever created it (see `connectRedisStores`). */
  async close(): Promise<void> {}
}
