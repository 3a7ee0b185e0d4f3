/**
 * `erlmcp gates [run]` and `erlmcp gates verify`. run: exit 0 when every gate passed, 1 when one
 * failed; verify: exit 0 on an intact receipt chain, 1 naming the first bad receipt.
 */
import type { Command } from 'commander';
import { setExitCode } from '../exit-code.js';
// The runners load on use: `erlmcp start` should not pay for the gates' imports.
import { DEFAULT_CONFIG_PATH, DEFAULT_RECEIPTS_DIR } from './config.js';

interface IO {
  out(text: string): void;
  err(text: string): void;
}

export function registerGates(program: Command, io: IO): void {
  const gates = program.command('gates').description('Run quality gates (validate, bench regression, commands) and keep a SHA-256 chain of receipts');
  gates
    .command('run', { isDefault: true })
    .description('run every gate of the config and append a receipt (exit 1 when a gate fails)')
    .option('-c, --config <file>', 'gates config (JSON)', DEFAULT_CONFIG_PATH)
    .option('--receipts <dir>', `receipts directory (default: the config's "receipts", else ${DEFAULT_RECEIPTS_DIR})`)
    .option('--json', 'print the receipt as JSON')
    .option('-q, --quiet', 'no progress on stderr')
    .action(async (opts: { config: string; receipts?: string; json?: boolean; quiet?: boolean }, cmd: Command) => {
      const { receiptTable, runGates } = await import('./run.js');
      const { receipt, path } = await runGates(opts.config, { receiptsDir: opts.receipts }, opts.quiet ? () => {} : (l) => io.err(`${l}\n`));
      io.out(opts.json ? `${JSON.stringify(receipt, null, 2)}\n` : receiptTable(receipt, path));
      setExitCode(cmd, receipt.passed ? 0 : 1);
    });
  gates
    .command('verify')
    .description('check the receipt chain: exit 0 when intact, 1 naming the first edited, missing, inserted or reordered receipt')
    .option('--receipts <dir>', 'receipts directory', DEFAULT_RECEIPTS_DIR)
    .option('--json', 'print the result as JSON')
    .action(async (opts: { receipts: string; json?: boolean }, cmd: Command) => {
      const { verifyChain } = await import('./verify.js');
      const r = verifyChain(opts.receipts);
      if (opts.json) io.out(`${JSON.stringify(r)}\n`);
      else io.out(r.ok ? `intact: ${r.count} receipt(s)${r.head ? `, HEAD ${r.head}` : ''}\n` : `BROKEN at ${r.bad}: ${r.reason} (${r.count} receipt(s) before it verified)\n`);
      setExitCode(cmd, r.ok ? 0 : 1);
    });
}
