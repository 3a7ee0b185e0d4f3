/**
 * The audit chain in a Redis stream, shared by any number of writers (every worker of a
 * cluster, every node): one chain, one order, however many processes append.
 *
 * Keys: `<prefix>{audit}` (a stream; each entry holds `seq` and `line`, the record exactly as
 * the file chain writes it) and `<prefix>{audit}:head` (`"<next seq> <hash of the last record>"`).
 * The hash tag `{audit}` puts both in one slot, so the append script (two keys) also runs on a
 * Redis Cluster, where a script's keys must share a slot (cluster spec, "Hash tags"); the
 * prefix comes first, as in every other erlmcp key, so `<prefix>*` still finds them. Keys of
 * the layout before the tag (`<prefix>audit`, `<prefix>audit:head`) are renamed by the first
 * writer that starts, and read as they are by verify/export until then.
 *
 * Why the writer hashes and Redis compares: Redis's Lua has no SHA-256, so the link cannot be
 * computed inside the script. Instead each writer links a batch against the head it believes
 * current and a script appends the batch only if the head is still that one — a compare-and-set
 * — and otherwise answers the current head, against which the writer links the batch again.
 * The check and the append are one script, so no two writers can both extend the same head.
 * A writer that is alone never retries; writers racing retry at most once per record another
 * writer slipped in first (docs/security.md#audit-log-across-processes).
 */
import { Redis } from 'ioredis';
import type { AuditWriter } from './chain.js';
import { chainLine, ChainVerifier, GENESIS, type AuditEntry, type VerifyResult } from './record.js';

// KEYS: stream, head. ARGV: expected next seq, expected prev hash, new head hash, lines…
const APPEND = `
local head = redis.call('GET', KEYS[2]) or ('0 ' .. ARGV[4])
if head ~= (ARGV[1] .. ' ' .. ARGV[2]) then return head end
local seq = tonumber(ARGV[1])
for i = 5, #ARGV do
  redis.call('XADD', KEYS[1], '*', 'seq', tostring(seq), 'line', ARGV[i])
  seq = seq + 1
end
redis.call('SET', KEYS[2], tostring(seq) .. ' ' .. ARGV[3])
return ''
`;

// KEYS: stream, head, legacy stream, legacy head. Renames a chain of the untagged layout, once
// (several writers starting at once: the first renames, the others find the new head).
const MIGRATE = `
if redis.call('EXISTS', KEYS[2]) == 1 or redis.call('EXISTS', KEYS[4]) == 0 then return 0 end
if redis.call('EXISTS', KEYS[3]) == 1 then redis.call('RENAME', KEYS[3], KEYS[1]) end
redis.call('RENAME', KEYS[4], KEYS[2])
return 1
`;

/** At most this many queued entries go in one script call. */
const BATCH = 100;

export interface RedisChainOptions {
  /** Key prefix. Default `erlmcp:` (the keys are `<prefix>{audit}`, `<prefix>{audit}:head`). */
  prefix?: string;
  /** Told when Redis refuses a write; the entries stay queued and are tried again. Default: stderr. */
  onerror?: (error: Error) => void;
  /** How long `close()` keeps trying to store what is queued. Default 10 000 ms. */
  closeTimeoutMs?: number;
}

type AppendCommand = (stream: string, head: string, seq: string, prev: string, hash: string, genesis: string, ...lines: string[]) => Promise<string>;

/** The keys of the chain under `prefix`, in one hash slot. */
export function auditKeys(prefix = 'erlmcp:'): { stream: string; head: string } {
  return { stream: `${prefix}{audit}`, head: `${prefix}{audit}:head` };
}

/** The keys before the hash tag (erlmcp ≤ 0.1.0), in two slots: migrated by the first writer that starts. */
export function legacyAuditKeys(prefix = 'erlmcp:'): { stream: string; head: string } {
  return { stream: `${prefix}audit`, head: `${prefix}audit:head` };
}

/** The keys a reader should read: the legacy ones while only they hold a chain. */
async function keysToRead(redis: Redis, prefix: string | undefined): Promise<{ stream: string; head: string }> {
  const keys = auditKeys(prefix);
  const legacy = legacyAuditKeys(prefix);
  if ((await redis.exists(keys.head)) === 1) return keys;
  return (await redis.exists(legacy.head)) === 1 ? legacy : keys;
}

/**
 * A chain many processes append to.
 *
 * @example
 * const chain = new RedisChain('redis://127.0.0.1:6379', { prefix: 'erlmcp:' });
 * const audit = new AuditLog(chain).install(server);
 */
export class RedisChain implements AuditWriter {
  readonly redis: Redis;
  private readonly keys: { stream: string; head: string };
  private readonly queue: AuditEntry[] = [];
  /** The head as this writer last saw it: right unless another writer appended since. */
  private guess = { seq: 0, prev: GENESIS };
  private draining: Promise<void> | undefined;
  private closed = false;
  private readonly append_: AppendCommand;
  /** The legacy keys renamed (or found absent): appends wait for it. */
  private readonly migrated: Promise<void>;

  constructor(
    url: string,
    private readonly options: RedisChainOptions = {},
  ) {
    this.keys = auditKeys(options.prefix);
    // Its own connection: records wait in ioredis's offline queue through a short outage rather than failing.
    this.redis = new Redis(url, { lazyConnect: false, connectTimeout: 2000, maxRetriesPerRequest: 3 });
    this.redis.on('error', () => {}); // reported per command below
    this.redis.defineCommand('erlmcpAuditAppend', { numberOfKeys: 2, lua: APPEND });
    this.append_ = (this.redis as unknown as { erlmcpAuditAppend: AppendCommand }).erlmcpAuditAppend.bind(this.redis);
    this.migrated = this.migrate();
  }

  private async migrate(): Promise<void> {
    const legacy = legacyAuditKeys(this.options.prefix);
    try {
      // Checked first with a one-key command: the four-key script would fail on a Cluster,
      // where a chain of the legacy layout cannot exist anyway (its script spanned two slots).
      if ((await this.redis.exists(legacy.head)) === 0) return;
      await this.redis.eval(MIGRATE, 4, this.keys.stream, this.keys.head, legacy.stream, legacy.head);
    } catch (e) {
      this.report(new Error(`could not rename the audit chain at ${legacy.stream} to ${this.keys.stream}: ${(e as Error).message}`));
    }
  }

  private report(e: Error): void {
    (this.options.onerror ?? ((err: Error) => console.error(`erlmcp: audit: ${err.message}`)))(e);
  }

  append(entry: AuditEntry): void {
    // A call finishing after close must not fail because of the audit: say what was lost.
    if (this.closed) return console.error(`erlmcp: audit: record after close not stored (${entry.method})`);
    this.queue.push(entry);
    this.draining ??= this.drain().finally(() => (this.draining = undefined));
  }

  /** Resolves once everything appended so far is stored (or close() gave up). */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    await this.migrated;
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, BATCH);
      let { seq, prev } = this.guess;
      const lines: string[] = [];
      for (const e of batch) {
        const l = chainLine(e, seq++, prev);
        lines.push(l.line);
        prev = l.hash;
      }
      let reply: string;
      try {
        reply = await this.append_(this.keys.stream, this.keys.head, String(this.guess.seq), this.guess.prev, prev, GENESIS, ...lines);
      } catch (e) {
        this.report(e as Error);
        if (this.closed && this.gaveUp) return;
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      if (reply === '') {
        this.guess = { seq, prev };
        this.queue.splice(0, batch.length);
      } else {
        // Another writer appended first: link the same batch again after its records.
        const [s, h] = reply.split(' ');
        this.guess = { seq: Number(s), prev: h! };
      }
    }
  }

  private gaveUp = false;

  async close(): Promise<void> {
    this.closed = true;
    const timer = setTimeout(() => (this.gaveUp = true), this.options.closeTimeoutMs ?? 10_000);
    try {
      await this.flush();
    } finally {
      clearTimeout(timer);
      if (this.queue.length > 0) console.error(`erlmcp: audit: ${this.queue.length} record(s) could not be stored in Redis`);
      this.redis.disconnect();
    }
  }
}

/** Every record of a Redis chain, oldest first, as the lines a file chain would hold. */
export async function* redisChainLines(redis: Redis, prefix?: string): AsyncGenerator<{ id: string; line: string }> {
  const { stream } = await keysToRead(redis, prefix);
  let start = '-';
  for (;;) {
    const page = await redis.xrange(stream, start, '+', 'COUNT', 1000);
    for (const [id, fields] of page) {
      const i = fields.indexOf('line');
      yield { id, line: i >= 0 && i % 2 === 0 ? fields[i + 1]! : '' };
    }
    if (page.length < 1000) return;
    start = `(${page.at(-1)![0]}`;
  }
}

/**
 * Checks a Redis chain: every record links to the one before, and the last one is the head the
 * writers recorded — so unlike a file, records cut from the end are detected too (unless the
 * head key was rewritten as well). `line` in a failure is the 1-based position in the stream.
 */
export async function verifyRedisChain(redis: Redis, prefix?: string): Promise<VerifyResult & { readonly entry?: string }> {
  const v = new ChainVerifier();
  let n = 0;
  const keys = await keysToRead(redis, prefix);
  for await (const { id, line } of redisChainLines(redis, prefix)) {
    n++;
    const reason = v.next(line);
    if (reason !== undefined) return { ok: false, records: v.records, line: n, reason, entry: id };
  }
  const head = await redis.get(keys.head);
  if (head !== null && head !== `${v.records} ${v.head}`) {
    const [s] = head.split(' ');
    return {
      ok: false,
      records: v.records,
      line: n + 1,
      reason: `the stream ends at record ${v.records - 1} but its head key names ${Number(s) - 1} records' worth (${head.slice(0, 30)}…): records were removed from the end, or the head was altered`,
    };
  }
  return { ok: true, records: v.records, head: v.head };
}
