/**
 * Runs `erlmcp start …` as a child process for the runtime tests: its endpoint, its stderr
 * lines (to wait on a log line instead of a timer), its exit, and cleanup that never leaves
 * it running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
export const FIXTURE = fileURLToPath(new URL('./fixture-server.js', import.meta.url));

export interface CliProcess {
  child: ChildProcess;
  url: string;
  origin: string;
  stderr(): string;
  /** Resolves with the first stderr line matching `re` logged at or after index `from`. */
  waitForLine(re: RegExp, from?: number): Promise<string>;
  /** Number of stderr lines so far (a `from` for waitForLine). */
  lineCount(): number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(): void;
}

export function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** Starts `erlmcp start --port 0 --module <fixture> …args`; resolves once it printed its banner. */
export function startCli(args: string[]): Promise<CliProcess> {
  const { PORT: _port, ...env } = process.env;
  const child = spawn(process.execPath, [MAIN, 'start', '--port', '0', '--module', FIXTURE, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let partial = '';
  const waiters: { re: RegExp; from: number; resolve: (l: string) => void }[] = [];
  child.stderr!.on('data', (d: Buffer) => {
    partial += d.toString();
    const parts = partial.split('\n');
    partial = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      for (const w of [...waiters]) {
        if (lines.length - 1 >= w.from && w.re.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  let stdout = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d;
      const m = /endpoint: (\S+)\n[\s\S]*ready: +\S+\n/.exec(stdout);
      if (!m) return;
      const url = m[1]!;
      resolve({
        child,
        url,
        origin: new URL(url).origin,
        stderr: () => lines.join('\n'),
        lineCount: () => lines.length,
        waitForLine(re, from = 0) {
          const seen = lines.slice(from).find((l) => re.test(l));
          if (seen) return Promise.resolve(seen);
          return new Promise((res) => waiters.push({ re, from, resolve: res }));
        },
        exited,
        kill() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        },
      });
    });
    void exited.then(({ code }) => reject(new Error(`erlmcp start exited (${code}) before serving: ${lines.join('\n')}`)));
  });
}
