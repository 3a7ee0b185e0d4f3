/**
 * Smoke test of the benchmark suite: one tiny run of every scenario as a child process. It
 * checks the suite works end to end and reports numbers for both implementations; it makes
 * no assertion about timings (those belong in the report, not in a pass/fail test).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SCENARIOS } from './scenarios/index.js';

const RUN = fileURLToPath(new URL('./run.js', import.meta.url));
const NUMBER = /^-?[\d,]+(\.\d+)?(e-?\d+)?$/;

function runSmoke(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', RUN, '--smoke'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 85_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Table rows as [label, ours, sdk, raw, tmcp, ours/sdk, ours/raw, ours/tmcp]. */
function tableRows(stdout: string): string[][] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| scenario') && !l.startsWith('| ---'))
    .map((l) => l.slice(2, -2).split(' | '));
}

test('bench --smoke exits 0 and prints a table with numbers for ours and the SDK in every scenario', { timeout: 90_000 }, async () => {
  const { code, stdout, stderr } = await runSmoke();
  assert.equal(code, 0, `run.js --smoke exited with ${code}\n${stderr.slice(-2000)}`);
  assert.match(stdout, /\| scenario \| ours \| sdk \| raw \| tmcp \| ours\/sdk \| ours\/raw \| ours\/tmcp \|/);
  assert.match(stdout, /Load average \(1\/5\/15 min\): before [\d.]+ \/ [\d.]+ \/ [\d.]+, after/);
  const rows = tableRows(stdout);
  for (const s of SCENARIOS) {
    const mine = rows.filter((r) => r[0]?.startsWith(`${s.name}: `));
    assert.ok(mine.length > 0, `no row for scenario ${s.name}`);
    const measured = mine.filter((r) => NUMBER.test(r[1] ?? '') && NUMBER.test(r[2] ?? ''));
    assert.ok(measured.length > 0, `scenario ${s.name} has no row with numbers for both ours and sdk:\n${mine.map((r) => r.join(' | ')).join('\n')}`);
  }
});
