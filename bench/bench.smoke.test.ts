/**
 * Smoke test of the benchmark suite: one tiny run of every scenario as a child process. It
 * checks the suite works end to end and reports numbers for both implementations; it makes
 * no assertion about timings (those belong in the report, not in a pass/fail test).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SCENARIOS } from './scenarios/index.js';

const RUN = fileURLToPath(new URL('./run.js', import.meta.url));
const NUMBER = /^-?[\d,]+(\.\d+)?(e-?\d+)?$/;

/**
 * Runs `run.js --smoke` in its own process group (`detached`), so that one group kill also
 * reaches what the run started (private redis-server, bench server children), whatever state
 * it is in. The group is killed when the run exits (leftovers), when the test is cancelled or
 * times out (`signal`), and in `after` — never left running, even on failure.
 */
const groups = new Set<number>();
function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: the group is already gone.
  }
}
after(() => {
  for (const pid of groups) killGroup(pid);
});

function runSmoke(signal: AbortSignal): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', RUN, '--smoke'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const pid = child.pid;
    if (pid === undefined) {
      child.once('error', reject);
      return;
    }
    groups.add(pid);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const onAbort = (): void => killGroup(pid);
    signal.addEventListener('abort', onAbort, { once: true });
    child.on('error', reject);
    let exitCode: number | null = null;
    // 'exit' first: a grandchild still holding the inherited stderr would keep 'close' away.
    child.on('exit', (code) => {
      exitCode = code;
      killGroup(pid);
    });
    child.on('close', () => {
      signal.removeEventListener('abort', onAbort);
      groups.delete(pid);
      resolve({ code: exitCode, stdout, stderr });
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

// The bound is generous on purpose: the run is event-driven (it ends when run.js exits) and
// takes about a minute on an idle machine, several on a loaded one.
test('bench --smoke exits 0 and prints a table with numbers for ours and the SDK in every scenario', { timeout: 600_000 }, async (t) => {
  const { code, stdout, stderr } = await runSmoke(t.signal);
  assert.equal(code, 0, `run.js --smoke exited with ${code}\n${stderr.slice(-2000)}`);
  assert.match(stdout, /\| scenario \| ours \| sdk \| raw \| tmcp \| ours\/sdk \| ours\/raw \| ours\/tmcp \|/);
  assert.match(stdout, /Load average \(1\/5\/15 min\): before [\d.]+ \/ [\d.]+ \/ [\d.]+, after/);
  const rows = tableRows(stdout);
  for (const s of SCENARIOS) {
    const mine = rows.filter((r) => r[0]?.startsWith(`${s.name}: `));
    assert.ok(mine.length > 0, `no row for scenario ${s.name}`);
    const measured = mine.filter((r) => NUMBER.test(r[1] ?? '') && (s.oursOnly === true || NUMBER.test(r[2] ?? '')));
    assert.ok(measured.length > 0, `scenario ${s.name} has no row with numbers for ours${s.oursOnly ? '' : ' and sdk'}:\n${mine.map((r) => r.join(' | ')).join('\n')}`);
  }
});
