/** Helpers of the validate/gates tests: run the CLI to completion, pick a check from a report. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CheckResult, ValidateReport } from '../../src/cli/validate/types.js';

export const CLI_MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** Runs `erlmcp <args>` to completion. */
export function runCli(args: string[], opts: { cwd?: string } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI_MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: opts.cwd });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

export function check(r: ValidateReport, id: string): CheckResult {
  const c = r.checks.find((x) => x.id === id);
  assert.ok(c, `no check ${id} in the report`);
  return c;
}
