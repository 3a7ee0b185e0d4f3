/**
 * Runs one gate's process with a time limit: in its own process group, so a timeout ends the
 * whole tree (a shell and what it started), not just the shell. Keeps the output's tail.
 */
import { spawn } from 'node:child_process';

export interface ProcessOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  /** The last lines of stderr (and of stdout for shell commands), for the receipt. */
  tail: string;
  durationMs: number;
}

const TAIL_CHARS = 2000;
const MAX_STDOUT = 16 * 1024 * 1024;

export function runProcess(command: string, args: string[], opts: { cwd?: string; timeoutMs: number; shell?: boolean }): Promise<ProcessOutcome> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let tail = '';
    const keep = (d: string) => (tail = (tail + d).slice(-TAIL_CHARS));
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (stdout.length < MAX_STDOUT) stdout += d;
      if (opts.shell) keep(d);
    });
    child.stderr.setEncoding('utf8').on('data', keep);
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const killGroup = (sig: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, sig);
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), 3000);
    }, opts.timeoutMs);
    child.on('error', (e) => keep(`\n${e.message}`));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      // Whatever the gate left running in its group goes with it.
      killGroup('SIGKILL');
      resolve({ code, signal, timedOut, stdout, tail: tail.trim(), durationMs: Math.round(performance.now() - t0) });
    });
  });
}
