/** Runs the built `erlmcp` CLI (dist/src/cli/main.js) in child processes for tests; every child is killed in `after`. */
import { spawn, type ChildProcess } from 'node:child_process';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';

export const CLI_MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** The environment without anything that would change the CLI's options behind a test's back. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (k !== 'PORT' && k !== 'REDIS_URL' && !k.startsWith('ERLMCP_')) env[k] = v;
  return { ...env, ...extra };
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function spawnCli(args: string[], opts: { env?: Record<string, string>; cwd?: string; stdin?: 'ignore' | 'pipe' } = {}): ChildProcess {
  const child = spawn(process.execPath, [CLI_MAIN, ...args], { env: cleanEnv(opts.env), cwd: opts.cwd, stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe'] });
  children.add(child);
  return child;
}

/** Runs the CLI to completion. */
export function runCli(args: string[], opts: { env?: Record<string, string>; cwd?: string } = {}): Promise<CliRun> {
  const child = spawnCli(args, opts);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d));
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

export interface Serving {
  child: ChildProcess;
  /** The banner's lines by label: endpoint, ws, sse, tcp, health, ready, pid. */
  urls: Record<string, string>;
  banner: string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `erlmcp start …` and resolves once its banner (ending with the `ready:` line) is out. */
export function startCli(args: string[], opts: { env?: Record<string, string>; cwd?: string } = {}): Promise<Serving> {
  const child = spawnCli(['start', ...args], opts);
  let stdout = '';
  let stderr = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d;
      if (!/\n {2}ready: +\S+\n/.test(stdout)) return;
      const urls: Record<string, string> = {};
      for (const m of stdout.matchAll(/^ {2}(\w+): +(\S+)/gm)) urls[m[1]!] = m[2]!;
      resolve({
        child,
        urls,
        banner: stdout,
        stderr: () => stderr,
        exited,
        stop: () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          return exited;
        },
      });
    });
    void exited.then(({ code }) => reject(new Error(`erlmcp start exited (${code}) before serving:\n${stderr}`)));
  });
}
