/**
 * Receipts: one JSON file per `erlmcp gates` run, in a directory, named by sequence number
 * (000001.json, 000002.json, …). Each records the SHA-256 of the previous receipt's exact
 * bytes, and HEAD records the newest one's, so editing, deleting, inserting or reordering any
 * receipt breaks the chain where it happened (verify.ts). The chain shows tampering; it is not
 * a signature — whoever can rewrite every later receipt and HEAD can rewrite history.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const RECEIPT_SCHEMA = 'erlmcp.gates.receipt/1';
export const RECEIPT_NAME = /^(\d{6})\.json$/;
export const HEAD_FILE = 'HEAD';

export type GateResult = 'pass' | 'fail';

export interface GateRecord {
  name: string;
  type: 'command' | 'validate' | 'bench';
  /** What ran: the shell command, or the validate/bench target. */
  command: string;
  result: GateResult;
  /** Why, in one line: the exit code, the failed checks, the regression. */
  detail: string;
  /** Measured values (validate counts, bench calls/s…). */
  figures: Record<string, unknown>;
  startedAt: string;
  durationMs: number;
}

export interface Receipt {
  schema: typeof RECEIPT_SCHEMA;
  sequence: number;
  /** SHA-256 (hex) of the previous receipt file's bytes; null for the first. */
  previous: string | null;
  createdAt: string;
  commit: string | null;
  /** True when the work tree had uncommitted changes. */
  dirty: boolean | null;
  tool: { name: 'erlmcp'; version: string };
  node: string;
  platform: string;
  config: { path: string; sha256: string };
  passed: boolean;
  gates: GateRecord[];
}

export interface Head {
  sequence: number;
  sha256: string;
}

export const sha256 = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex');
export const receiptName = (sequence: number): string => `${String(sequence).padStart(6, '0')}.json`;

export function readHead(dir: string): Head | undefined {
  try {
    const h = JSON.parse(readFileSync(join(dir, HEAD_FILE), 'utf8')) as Partial<Head> | null;
    return h && Number.isInteger(h.sequence) && (h.sequence as number) > 0 && typeof h.sha256 === 'string' ? (h as Head) : undefined;
  } catch {
    return undefined;
  }
}

/** Receipt files present, in sequence order of their names. */
export function receiptFiles(dir: string): string[] {
  try {
    return readdirSync(dir).filter((f) => RECEIPT_NAME.test(f)).sort();
  } catch {
    return [];
  }
}

/** The newest receipt, as HEAD names it (undefined when there is none yet). */
export function latestReceipt(dir: string): Receipt | undefined {
  const head = readHead(dir);
  if (!head) return undefined;
  try {
    return JSON.parse(readFileSync(join(dir, receiptName(head.sequence)), 'utf8')) as Receipt;
  } catch {
    return undefined;
  }
}

function writeAtomically(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** Appends a receipt to the chain in `dir`; returns its path. Fills in sequence and previous. */
export function appendReceipt(dir: string, body: Omit<Receipt, 'sequence' | 'previous' | 'schema'>): { path: string; receipt: Receipt } {
  mkdirSync(dir, { recursive: true });
  const head = readHead(dir);
  const receipt: Receipt = { schema: RECEIPT_SCHEMA, sequence: (head?.sequence ?? 0) + 1, previous: head?.sha256 ?? null, ...body };
  const text = `${JSON.stringify(receipt, null, 2)}\n`;
  const path = join(dir, receiptName(receipt.sequence));
  writeAtomically(path, text);
  writeAtomically(join(dir, HEAD_FILE), `${JSON.stringify({ sequence: receipt.sequence, sha256: sha256(text) } satisfies Head)}\n`);
  return { path, receipt };
}
