/**
 * `erlmcp gates`: runs every gate of the config in order (all of them, even after a failure, so
 * the receipt is complete), appends a receipt to the chain and says whether all passed.
 *
 * @example
 *   const { receipt, path } = await runGates('.erlmcp/gates.json', {}, console.error);
 *   process.exitCode = receipt.passed ? 0 : 1;
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { toolVersion } from '../validate/run.js';
import { DEFAULT_RECEIPTS_DIR, loadConfig } from './config.js';
import { runGate } from './gate-runners.js';
import { appendReceipt, latestReceipt, sha256, type GateRecord, type Receipt } from './receipt.js';

export { DEFAULT_RECEIPTS_DIR } from './config.js';

function git(args: string[], cwd: string): string | null {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

export interface GatesRunOptions {
  /** Overrides the config's `receipts`. */
  receiptsDir?: string;
  cwd?: string;
}

export async function runGates(configPath: string, opts: GatesRunOptions = {}, progress: (line: string) => void = () => {}): Promise<{ receipt: Receipt; path: string }> {
  const cwd = opts.cwd ?? process.cwd();
  const path = resolve(cwd, configPath);
  const config = loadConfig(path);
  const dir = resolve(cwd, opts.receiptsDir ?? config.receipts ?? DEFAULT_RECEIPTS_DIR);
  const previous = latestReceipt(dir);
  const gates: GateRecord[] = [];
  for (const g of config.gates) {
    progress(`gate ${g.name} (${g.type}) …`);
    const r = await runGate(g, previous, cwd);
    progress(`gate ${g.name}: ${r.result.toUpperCase()} in ${(r.durationMs / 1000).toFixed(1)} s — ${r.detail}`);
    gates.push(r);
  }
  const commit = git(['rev-parse', 'HEAD'], cwd);
  const status = commit === null ? null : git(['status', '--porcelain', '--untracked-files=no'], cwd);
  return appendReceipt(dir, {
    createdAt: new Date().toISOString(),
    commit,
    dirty: status === null ? null : status !== '',
    tool: { name: 'erlmcp', version: toolVersion() },
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    config: { path: configPath, sha256: sha256(readFileSync(path)) },
    passed: gates.every((g) => g.result === 'pass'),
    gates,
  });
}

/** The receipt as a table: gate, result, duration, detail. */
export function receiptTable(r: Receipt, path: string): string {
  const rows = r.gates.map((g) => [g.name, g.type, g.result.toUpperCase(), `${(g.durationMs / 1000).toFixed(1)} s`, g.detail]);
  const head = ['gate', 'type', 'result', 'time', 'detail'];
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(width[i]!))).join('  ');
  return [
    line(head),
    ...rows.map(line),
    '',
    `${r.passed ? 'PASSED' : 'FAILED'}: ${r.gates.filter((g) => g.result === 'pass').length}/${r.gates.length} gates — receipt ${path} (#${r.sequence}, commit ${r.commit ?? 'none'}${r.dirty ? ', uncommitted changes' : ''})`,
    '',
  ].join('\n');
}
