/**
 * `erlmcp gates verify`: walks the receipt chain from 000001.json to HEAD and names the first
 * receipt that is not what the chain says it should be.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HEAD_FILE, RECEIPT_NAME, RECEIPT_SCHEMA, readHead, receiptName, sha256, type Receipt } from './receipt.js';

export type VerifyResult = { ok: true; count: number; head: string | undefined } | { ok: false; count: number; bad: string; reason: string };

export function verifyChain(dir: string): VerifyResult {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return { ok: true, count: 0, head: undefined };
  }
  const strays = entries.filter((f) => f !== HEAD_FILE && !RECEIPT_NAME.test(f) && !f.endsWith('.tmp'));
  const files = entries.filter((f) => RECEIPT_NAME.test(f)).sort();
  const head = readHead(dir);
  if (!files.length && !head) return strays.length ? { ok: false, count: 0, bad: strays[0]!, reason: 'not a receipt, in the receipts directory' } : { ok: true, count: 0, head: undefined };
  if (!head) return { ok: false, count: files.length, bad: HEAD_FILE, reason: 'missing or unreadable: the newest receipt cannot be checked' };

  // Pass 1: every receipt up to HEAD present, parseable, in its place; its hash.
  const texts: string[] = [];
  const receipts: Receipt[] = [];
  for (let seq = 1; seq <= head.sequence; seq++) {
    const name = receiptName(seq);
    let text: string;
    try {
      text = readFileSync(join(dir, name), 'utf8');
    } catch {
      return { ok: false, count: seq - 1, bad: name, reason: `missing (the chain runs to ${receiptName(head.sequence)})` };
    }
    let r: Receipt;
    try {
      r = JSON.parse(text) as Receipt;
    } catch {
      return { ok: false, count: seq - 1, bad: name, reason: 'not valid JSON (edited?)' };
    }
    if (r.schema !== RECEIPT_SCHEMA) return { ok: false, count: seq - 1, bad: name, reason: `schema is ${JSON.stringify(r.schema)}` };
    if (r.sequence !== seq) return { ok: false, count: seq - 1, bad: name, reason: `records sequence ${String(r.sequence)}, expected ${seq} (moved or reordered?)` };
    texts.push(text);
    receipts.push(r);
  }
  // Pass 2: the links. What receipt n+1 (or HEAD, for the newest) recorded of receipt n.
  const hashes = texts.map((t) => sha256(t));
  const recordedOf = (i: number): string | null => (i + 1 < receipts.length ? receipts[i + 1]!.previous : head.sha256);
  for (let i = 0; i < receipts.length; i++) {
    const name = receiptName(i + 1);
    if (hashes[i] !== recordedOf(i)) {
      // The link i → i+1 is broken. If receipt i+1 no longer matches what its own successor
      // recorded, it is the one that was edited (its "previous" field included); otherwise i was.
      if (i + 1 < receipts.length && hashes[i + 1] !== recordedOf(i + 1)) {
        return { ok: false, count: i + 1, bad: receiptName(i + 2), reason: `its SHA-256 ${hashes[i + 1]} is not the one ${i + 2 < receipts.length ? receiptName(i + 3) : HEAD_FILE} recorded (${String(recordedOf(i + 1))}): edited or replaced` };
      }
      return { ok: false, count: i, bad: name, reason: `its SHA-256 ${hashes[i]} is not the one ${i + 1 < receipts.length ? receiptName(i + 2) : HEAD_FILE} recorded (${String(recordedOf(i))}): edited or replaced` };
    }
    const expected = i === 0 ? null : hashes[i - 1]!;
    if (receipts[i]!.previous !== expected) return { ok: false, count: i, bad: name, reason: `records previous ${String(receipts[i]!.previous)}, but the receipt before it has SHA-256 ${String(expected)}` };
  }
  const last = receiptName(head.sequence);
  const extra = files.filter((f) => Number(RECEIPT_NAME.exec(f)![1]) > head.sequence);
  if (extra.length) return { ok: false, count: head.sequence, bad: extra[0]!, reason: `beyond HEAD (${last}): inserted` };
  if (strays.length) return { ok: false, count: head.sequence, bad: strays[0]!, reason: 'not a receipt, in the receipts directory' };
  return { ok: true, count: head.sequence, head: head.sha256 };
}
