/**
 * The audit log: one hash-chained record (record.ts) for every request a server answers or
 * refuses — who (subject, client, how authenticated), where (session, transport, peer), what
 * (method, tool/resource/prompt, a digest of the arguments), the outcome and the duration.
 *
 * Two views make it complete without the audit knowing any other feature:
 * - its middleware sees every call that reaches the chain, and how it ended: answered, failed,
 *   denied by a policy installed after it, refused by a limit or rate limit installed after it;
 * - `server.onRefusal` reports what is refused before any middleware runs: admission refusals
 *   (authentication 401/403, rate limiting 429, whatever hook refuses), a full server (503,
 *   `maxSessions`) and a full session (`max_in_flight`).
 *
 * Where records go is the writer's business (chain.ts): a file this process owns, a Redis
 * stream many processes share, or the process that owns the chain.
 */
import { McpError } from '../../protocol/errors.js';
import { admissionRefusal, type AdmissionRefusal, type AdmissionRequest, type Call, type McpServer, type Middleware, type Refusal } from '../../server/index.js';
import type { AuditWriter } from './chain.js';
import { FileChain } from './file-chain.js';
import { canonicalJson, sha256, type AuditEntry } from './record.js';

export interface AuditLogOptions {
  /** Methods not recorded. Default ['ping']. */
  skip?: readonly string[];
}

/** Refusal reasons that are an authorization decision (outcome `denied`) rather than a limit (`refused`). */
const DENIALS = new Set(['forbidden', 'insufficient_scope', 'session_subject_mismatch']);

/**
 * A hash-chained audit log.
 *
 * @example
 * const audit = await AuditLog.open('/var/log/erlmcp/audit.jsonl');
 * audit.install(server);                                  // before the policy and rate limits
 * new Policy(rules).install(server);
 */
export class AuditLog {
  private readonly skip: ReadonlySet<string>;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    readonly writer: AuditWriter,
    options: AuditLogOptions = {},
  ) {
    this.skip = new Set(options.skip ?? ['ping']);
  }

  /** Opens (or creates) a log file this process owns and continues its chain; refuses a file whose last record is not valid. */
  static async open(path: string, options?: AuditLogOptions): Promise<AuditLog> {
    return new AuditLog(await FileChain.open(path), options);
  }

  /** Appends one record. */
  append(entry: AuditEntry): void {
    this.writer.append(entry);
  }

  /** Installs the middleware (before any policy or limit, to see its refusals) and subscribes to the server's refusals. */
  install(server: McpServer): this {
    server.use(this.middleware);
    this.unsubscribe.push(server.onRefusal(this.onrefusal));
    return this;
  }

  /** Records a refusal the server reports (admission, session cap, in-flight cap). */
  readonly onrefusal = (r: Refusal): void => {
    const e: AuditEntry = { time: new Date().toISOString() } as AuditEntry;
    if (r.auth?.subject !== undefined) e.subject = r.auth.subject;
    if (r.auth?.clientId !== undefined) e.clientId = r.auth.clientId;
    if (r.auth?.method !== undefined) e.auth = r.auth.method;
    if (r.sessionId !== undefined) e.session = r.sessionId;
    if (r.transport !== undefined) e.transport = r.transport;
    if (r.remoteAddress !== undefined) e.remote = r.remoteAddress;
    e.method = r.method;
    if (r.target !== undefined) e.target = r.target;
    e.outcome = r.reason !== undefined && DENIALS.has(r.reason) ? 'denied' : 'refused';
    if (r.code !== undefined) e.code = r.code;
    if (r.reason !== undefined) e.reason = r.reason;
    this.append(e);
  };

  /** Records an admission refusal by hand (for a hook used without a server; `install` records them already). */
  readonly onrefuse = (req: AdmissionRequest, refusal: AdmissionRefusal): void => {
    this.onrefusal(admissionRefusal(req, refusal, undefined));
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
      const r = e instanceof McpError ? (e.data as { reason?: unknown } | undefined)?.reason : undefined;
      const reason = typeof r === 'string' ? r : undefined;
      // A -32000 with a reason is a refusal (limitError: rate_limited, tool_busy…) or a denial; anything else failed while running.
      const outcome = reason !== undefined && DENIALS.has(reason) ? 'denied' : reason !== undefined && code === -32000 ? 'refused' : 'error';
      this.append(entryOf(call, time, started, outcome, code, reason));
      throw e;
    }
  };

  /** Stops recording and closes the writer (stores what is queued). */
  close(): Promise<void> {
    for (const u of this.unsubscribe.splice(0)) u();
    return this.writer.close();
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
