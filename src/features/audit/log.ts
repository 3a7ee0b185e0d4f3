/**
 * The audit log: one hash-chained JSON line (record.ts) for every request a server answers or
 * refuses — who (subject, client, how authenticated), where (session, transport, peer), what
 * (method, tool/resource/prompt, a digest of the arguments), the outcome and the duration.
 * Admission refusals (401/403/503) are recorded through `onrefuse`, which the resource server
 * calls. Install the audit middleware before the policy so policy refusals are recorded too.
 *
 * Records are chained in the order calls finish, in this process: one writer per file.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { ErlmcpError, McpError } from '../../protocol/errors.js';
import type { AdmissionRefusal, AdmissionRequest, Call, McpServer, Middleware } from '../../server/index.js';
import { canonicalJson, chainLine, GENESIS, sha256, type AuditEntry } from './record.js';

/** Where lines go. The file sink is the default; a test or an exporter may pass its own. */
export interface AuditSink {
  write(line: string): void;
  close(): Promise<void>;
}

export interface AuditLogOptions {
  /** Methods not recorded. Default ['ping']. */
  skip?: readonly string[];
}

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

function fileSink(stream: WriteStream): AuditSink {
  return {
    write: (line) => void stream.write(`${line}\n`),
    close: () => new Promise((resolve, reject) => stream.end((e?: Error | null) => (e ? reject(e) : resolve()))),
  };
}

/**
 * A hash-chained audit log.
 *
 * @example
 * const audit = await AuditLog.open('/var/log/erlmcp/audit.jsonl');
 * audit.install(server);                                  // before the policy
 * new ResourceServer({ …, onrefuse: audit.onrefuse }).install(server);
 * new Policy(rules).install(server);
 */
export class AuditLog {
  private seq: number;
  private prev: string;
  private readonly skip: ReadonlySet<string>;

  constructor(
    private readonly sink: AuditSink,
    head: { seq: number; prev: string } = { seq: 0, prev: GENESIS },
    options: AuditLogOptions = {},
  ) {
    this.seq = head.seq;
    this.prev = head.prev;
    this.skip = new Set(options.skip ?? ['ping']);
  }

  /** Opens (or creates) a log file and continues its chain; refuses a file whose last record is not valid. */
  static async open(path: string, options?: AuditLogOptions): Promise<AuditLog> {
    const last = await lastLine(path);
    let head = { seq: 0, prev: GENESIS };
    if (last !== undefined) {
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
      head = { seq: rec.seq + 1, prev: hash };
    }
    return new AuditLog(fileSink(createWriteStream(path, { flags: 'a', mode: 0o600 })), head, options);
  }

  /** The hash of the last record written (compare with `erlmcp audit verify`'s head). */
  get head(): string {
    return this.prev;
  }

  /** Appends one record. Synchronous: the chain order is the call order. */
  append(entry: AuditEntry): void {
    const { line, hash } = chainLine(entry, this.seq, this.prev);
    this.seq++;
    this.prev = hash;
    this.sink.write(line);
  }

  /** Installs the middleware on `server` (before any policy, to see its refusals). */
  install(server: McpServer): this {
    server.use(this.middleware);
    return this;
  }

  /** Records a refusal by the admission seam: pass as the resource server's `onrefuse`. */
  readonly onrefuse = (req: AdmissionRequest, refusal: AdmissionRefusal): void => {
    const reason = (refusal.data as { reason?: unknown } | undefined)?.reason;
    this.append({
      time: new Date().toISOString(),
      ...(req.sessionId !== undefined ? { session: req.sessionId } : {}),
      transport: req.transport,
      ...(req.remoteAddress !== undefined ? { remote: req.remoteAddress } : {}),
      method: `${req.method ?? ''} ${req.path ?? ''}`.trim() || 'connect',
      outcome: 'refused',
      code: refusal.status,
      ...(typeof reason === 'string' ? { reason } : {}),
    });
  };

  readonly middleware: Middleware = async (call, next) => {
    if (this.skip.has(call.method)) return next();
    const started = performance.now();
    const time = new Date().toISOString();
    try {
      const result = await next();
      this.append(entryOf(call, time, started, (result as { isError?: unknown }).isError === true ? 'error' : 'ok'));
      return result;
    } catch (e) {
      const code = e instanceof McpError ? e.code : undefined;
      const reason = e instanceof McpError ? (e.data as { reason?: unknown } | undefined)?.reason : undefined;
      const denied = reason === 'forbidden' || reason === 'insufficient_scope';
      this.append(entryOf(call, time, started, denied ? 'denied' : 'error', code, typeof reason === 'string' ? reason : undefined));
      throw e;
    }
  };

  /** Flushes and closes the sink. */
  close(): Promise<void> {
    return this.sink.close();
  }
}

function entryOf(call: Call, time: string, started: number, outcome: AuditEntry['outcome'], code?: number, reason?: string): AuditEntry {
  const a = call.auth;
  const args = call.method === 'tools/call' || call.method === 'prompts/get' ? call.params.arguments : undefined;
  // Keys in reading order: who, where, what, outcome.
  const e: AuditEntry = { time } as AuditEntry;
  if (a?.subject !== undefined) e.subject = a.subject;
  if (a?.clientId !== undefined) e.clientId = a.clientId;
  if (a?.method !== undefined) e.auth = a.method;
  if (call.session?.id !== undefined) e.session = call.session.id;
  if (call.transport !== undefined) e.transport = call.transport;
  if (call.remoteAddress !== undefined) e.remote = call.remoteAddress;
  e.method = call.method;
  if (call.target !== undefined) e.target = call.target;
  if (args !== undefined) e.args = sha256(canonicalJson(args));
  e.outcome = outcome;
  if (code !== undefined) e.code = code;
  if (reason !== undefined) e.reason = reason;
  e.durationMs = Math.round((performance.now() - started) * 1000) / 1000;
  return e;
}
