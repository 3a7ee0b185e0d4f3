/**
 * The audit chain in a JSON-lines file, owned by one process: it reads the last record on open,
 * continues from it, and links every record itself. Two processes appending to one file would
 * each continue from the head they read and fork the chain; under `erlmcp start` the supervisor
 * owns the file and the workers forward their entries to it (chain.ts).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { ErlmcpError } from '../../protocol/errors.js';
import type { AuditWriter } from './chain.js';
import { chainLine, GENESIS, sha256, type AuditEntry } from './record.js';

/** The last complete line of a file (reads at most the last 1 MiB). */
async function lastLine(path: string): Promise<string | undefined> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const { size } = await fh.stat();
    if (size === 0) return undefined;
    const len = Math.min(size, 1024 * 1024);
    const buf = Buffer.alloc(len);
    await fh.read(buf, 0, len, size - len);
    const lines = buf.toString('utf8').split('\n').filter((l) => l !== '');
    return lines.at(-1);
  } finally {
    await fh.close();
  }
}

/** The head a file's chain continues from; refuses a file whose last record is not valid. */
export async function fileHead(path: string): Promise<{ seq: number; prev: string }> {
  const last = await lastLine(path);
  if (last === undefined) return { seq: 0, prev: GENESIS };
  let rec: { seq?: unknown; hash?: unknown; prev?: unknown };
  try {
    rec = JSON.parse(last) as typeof rec;
  } catch {
    throw new ErlmcpError('ERR_INVALID_ARGUMENT', `audit log ${path}: the last line is not a record; run "erlmcp audit verify ${path}"`);
  }
  const { hash, ...rest } = rec;
  if (typeof rec.seq !== 'number' || typeof hash !== 'string' || sha256(JSON.stringify(rest)) !== hash) {
    throw new ErlmcpError('ERR_INVALID_ARGUMENT', `audit log ${path}: the last record does not match its hash; run "erlmcp audit verify ${path}"`);
  }
  return { seq: rec.seq + 1, prev: hash };
}

/**
 * A chain this process links and writes to a file.
 *
 * @example
 * const chain = await FileChain.open('/var/log/erlmcp/audit.jsonl');
 * chain.append({ time: new Date().toISOString(), method: 'ping', outcome: 'ok' });
 * await chain.close();
 */
export class FileChain implements AuditWriter {
  private seq: number;
  private prev: string;

  private constructor(
    private readonly stream: WriteStream,
    head: { seq: number; prev: string },
  ) {
    this.seq = head.seq;
    this.prev = head.prev;
  }

  static async open(path: string): Promise<FileChain> {
    const head = await fileHead(path);
    return new FileChain(createWriteStream(path, { flags: 'a', mode: 0o600 }), head);
  }

  /** The hash of the last record written (compare with `erlmcp audit verify`'s head). */
  get head(): string {
    return this.prev;
  }

  /** Synchronous: the chain order is the call order. */
  append(entry: AuditEntry): void {
    const { line, hash } = chainLine(entry, this.seq, this.prev);
    this.seq++;
    this.prev = hash;
    this.stream.write(`${line}\n`);
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => this.stream.end((e?: Error | null) => (e ? reject(e) : resolve())));
  }
}
