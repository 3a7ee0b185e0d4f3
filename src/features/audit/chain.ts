/**
 * Where chained records go. A writer takes entries in the order they happen and links each to
 * the one before it (record.ts). Three writers exist:
 * - FileChain (file-chain.ts): one process owns a JSON-lines file and links records itself;
 * - RedisChain (redis-chain.ts): any number of processes append to one Redis stream, each link
 *   taken atomically against the stream's head (docs/security.md#audit-log-across-processes);
 * - ForwardingChain (below): a process that does not own the chain hands its entries to the one
 *   that does (the workers of `erlmcp start` send theirs to the supervisor, which owns the file).
 */
import type { AuditEntry } from './record.js';

export interface AuditWriter {
  /** Queues one entry; the writer links and stores it in call order. */
  append(entry: AuditEntry): void;
  /** Stores what is queued, then releases the writer. */
  close(): Promise<void>;
}

/** The IPC message a forwarding writer sends (`erlmcp start` workers → supervisor). */
export interface AuditMessage {
  readonly type: 'erlmcp:audit';
  readonly entry: AuditEntry;
}

export function isAuditMessage(m: unknown): m is AuditMessage {
  return typeof m === 'object' && m !== null && (m as AuditMessage).type === 'erlmcp:audit' && typeof (m as AuditMessage).entry === 'object';
}

/**
 * Hands every entry to `send` (for example `process.send`): the receiver owns the chain, so many
 * senders make one chain. `close()` resolves once the last message has left this process.
 *
 * @example
 * const audit = new AuditLog(new ForwardingChain((m, done) => process.send!(m, undefined, {}, done)));
 */
export class ForwardingChain implements AuditWriter {
  private last: Promise<void> = Promise.resolve();

  constructor(private readonly send: (message: AuditMessage, done: (error?: Error | null) => void) => void) {}

  append(entry: AuditEntry): void {
    this.last = new Promise((resolve) => {
      try {
        // A channel already closed loses the record; there is no one left to tell but stderr.
        this.send({ type: 'erlmcp:audit', entry }, (e) => {
          if (e) console.error(`erlmcp: audit record not forwarded: ${e.message}`);
          resolve();
        });
      } catch (e) {
        console.error(`erlmcp: audit record not forwarded: ${(e as Error).message}`);
        resolve();
      }
    });
  }

  close(): Promise<void> {
    return this.last;
  }
}
