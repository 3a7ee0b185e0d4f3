/**
 * `erlmcp audit verify <file>`: checks a hash-chained audit log (docs/security.md#audit-log).
 * Exit 0 intact (count and head hash on stdout), 1 on the first bad record (named on stderr).
 */
import type { Command } from 'commander';
import { verifyAuditFile } from '../features/audit/verify.js';

export function addAuditCommand(program: Command, io: { out(text: string): void }): void {
  const audit = program.command('audit').description('Audit log tools');
  audit
    .command('verify <file>')
    .description('check an audit log\'s hash chain: exit 0 if intact, 1 naming the first edited, removed, inserted or moved record')
    .action(async (file: string) => {
      let r;
      try {
        r = await verifyAuditFile(file);
      } catch (e) {
        throw new Error(`cannot read ${file}: ${(e as Error).message}`);
      }
      // A thrown Error is printed by runCli and exits 1.
      if (!r.ok) throw new Error(`${file}: line ${r.line}: ${r.reason} (the ${r.records} record${r.records === 1 ? '' : 's'} before it are intact)`);
      io.out(`${file}: intact, ${r.records} record${r.records === 1 ? '' : 's'}, head ${r.head}\n`);
    });
}
