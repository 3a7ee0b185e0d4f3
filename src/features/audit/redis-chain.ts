/**
 * The audit chain in a Redis stream, shared by any number of writers (every worker of a
 * cluster, every node): one chain, one order, however many processes append.
 *
 * Keys: `<prefix>audit` (a stream; each entry holds `seq` and `line`, the record exactly as the
 * file chain writes it) and `<prefix>audit:head` (`"<next seq> <hash of the last record>"`).
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

/** At most this many queued entries go in one script call. */
const BATCH = 100;

export interface RedisChainOptions {
  /** Key prefix. Default `erlmcp:` (the keys are `<prefix>audit`, `<prefix>audit:head`). */
  prefix?: string;
  /** Told when Redis refuses a write; the entries stay queued and are tried again. Default: stderr. */
  onerror?: (error: Error) => void;
  /** How long `close()` keeps trying to store what is queued. Default 10 000 ms. */
  closeTimeoutMs?: number;
}

type AppendCommand = (stream: string, head: string, seq: string, prev: string, hash: string, genesis: string, ...lines: string[]) => Promise<string>;

export function auditKeys(prefix = 'erlmcp:'): { stream: string; head: string } {
  return { stream: `${prefix}audit`, head: `${prefix}audit:head` };
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
        (this.options.onerror ?? ((err: Error) => console.error(`erlmcp: audit: ${err.message}`)))(e as Error);
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
  const { stream } = auditKeys(prefix);
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
  for await (const { id, line } of redisChainLines(redis, prefix)) {
    n++;
    const reason = v.next(line);
    if (reason !== undefined) return { ok: false, records: v.records, line: n, reason, entry: id };
  }
  const head = await redis.get(auditKeys(prefix).head);
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
