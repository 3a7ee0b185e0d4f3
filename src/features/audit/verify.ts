/**
 * The file check behind `erlmcp audit verify <file>`: streams a log through the chain check and names the first bad
 * record. Exit 0 when intact (printing the record count and head hash, to compare with a copy
 * kept elsewhere: the one thing a chain cannot show is records cut from its end), 1 otherwise.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { ChainVerifier, type VerifyResult } from './record.js';

export async function verifyAuditFile(path: string): Promise<VerifyResult> {
  const v = new ChainVerifier();
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of lines) {
      line++;
      const reason = v.next(text);
      if (reason !== undefined) return { ok: false, records: v.records, line, reason };
    }
  } finally {
    lines.close();
  }
  return { ok: true, records: v.records, head: v.head };
}
