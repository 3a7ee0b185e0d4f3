/**
 * The audit record and its hash chain. One JSON object per line; each record carries `prev`,
 * the SHA-256 of the record before it (64 zeros for the first), and `hash`, the SHA-256 of its
 * own line without the `hash` field. Editing a record breaks its `hash`; recomputing that breaks
 * the next record's `prev`; deleting, inserting or reordering breaks `seq` and `prev`.
 * A chain alone cannot show that records were cut from the *end*: compare the head hash
 * (`erlmcp audit verify` prints it) with one kept elsewhere.
 */
import { createHash } from 'node:crypto';

export const GENESIS = '0'.repeat(64);

/** What a record says (the chain fields are added when it is appended). */
export interface AuditEntry {
  /** ISO-8601 time the call started. */
  time: string;
  subject?: string;
  clientId?: string;
  /** How the caller was authenticated ('jwt', 'introspection', 'api-key'). */
  auth?: string;
  session?: string;
  transport?: string;
  remote?: string;
  method: string;
  /** Tool or prompt name, resource URI. */
  target?: string;
  /** SHA-256 of the canonical JSON of the arguments (the arguments themselves are not logged). */
  args?: string;
  /** ok: answered; error: a JSON-RPC error or a tool error result; denied: refused by policy; refused: refused before any session (401/403/503). */
  outcome: 'ok' | 'error' | 'denied' | 'refused';
  /** JSON-RPC error code, or the HTTP status of a refusal. */
  code?: number;
  reason?: string;
  durationMs?: number;
}

export interface AuditRecord extends AuditEntry {
  seq: number;
  prev: string;
  hash: string;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** JSON with object keys sorted at every level: the same value always digests the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}

/** The line for `entry` as record `seq` after a record whose hash is `prev`. */
export function chainLine(entry: AuditEntry, seq: number, prev: string): { line: string; hash: string } {
  const body: Record<string, unknown> = { seq };
  for (const [k, v] of Object.entries(entry)) if (v !== undefined) body[k] = v;
  body.prev = prev;
  const unhashed = JSON.stringify(body);
  const hash = sha256(unhashed);
  // `hash` is the last key: the verifier drops it and re-serialises the rest, which JSON.parse
  // keeps in the same order, to get back the exact text that was hashed.
  return { line: `${unhashed.slice(0, -1)},"hash":"${hash}"}`, hash };
}

export type VerifyResult =
  | { readonly ok: true; readonly records: number; readonly head: string }
  | { readonly ok: false; readonly records: number; readonly line: number; readonly reason: string };

/** Checks a chain one line at a time (files of any size stream through it). */
export class ChainVerifier {
  private prev = GENESIS;
  private n = 0;

  get records(): number {
    return this.n;
  }

  get head(): string {
    return this.prev;
  }

  /** Checks the next line: undefined when it is the record expected, else why not. */
  next(text: string): string | undefined {
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return 'not a JSON record (edited or truncated)';
    }
    if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) return 'not a JSON record';
    const { hash, ...rest } = rec;
    if (typeof hash !== 'string') return 'no hash field';
    if (sha256(JSON.stringify(rest)) !== hash) return `record ${String(rec.seq)} was altered: its content does not match its hash`;
    if (rec.seq !== this.n) return `expected record ${this.n}, found record ${String(rec.seq)}: a record was removed, inserted or moved`;
    if (rec.prev !== this.prev) return `record ${this.n} does not follow the record before it (that record was altered, or records were removed or inserted)`;
    this.prev = hash;
    this.n++;
    return undefined;
  }
}

/** Checks a chain; stops at the first bad record. An empty final line (the trailing newline) is allowed. */
export function verifyLines(lines: readonly string[]): VerifyResult {
  const v = new ChainVerifier();
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] === '' && i === lines.length - 1) break;
    const reason = v.next(lines[i]!);
    if (reason !== undefined) return { ok: false, records: v.records, line: i + 1, reason };
  }
  return { ok: true, records: v.records, head: v.head };
}
