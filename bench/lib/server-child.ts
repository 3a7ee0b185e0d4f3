/**
 * Any fixture in bench/fixtures/ as a server child process (the transports and scale-out
 * scenarios have fixtures beyond spawn.ts's HTTP set): started with --expose-gc and its own
 * environment, ready once it prints `LISTENING <address>`, stopped by closing its stdin.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { stopChild } from './spawn.js';

export interface ServerChild {
  proc: ChildProcess;
  /** What the fixture announced: a URL, or an origin. */
  address: string;
  /** Set once the child has exited, e.g. "code 1". */
  exited(): string | undefined;
  stop(): Promise<void>;
}

export function benchFixture(name: string): string {
  return fileURLToPath(new URL(`../fixtures/${name}.js`, import.meta.url));
}

/** Starts a fixture with --expose-gc (plus `nodeArgs`) and waits for its `LISTENING <address>` line. */
export function startServerChild(name: string, args: string[] = [], env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<ServerChild> {
  const proc = spawn(process.execPath, ['--expose-gc', ...nodeArgs, benchFixture(name), ...args], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`${name} did not start within 15 s`)), 15_000);
    const fail = (e: Error): void => {
      clearTimeout(timer);
      proc.kill('SIGKILL');
      reject(e);
    };
    proc.once('error', fail);
    proc.once('exit', (code) => fail(new Error(`${name} exited with code ${code} before listening`)));
    proc.stdout?.setEncoding('utf8');
    proc.stdout?.on('data', (chunk: string) => {
      out += chunk;
      const m = /LISTENING (\S+)/.exec(out);
      if (!m?.[1]) return;
      clearTimeout(timer);
      proc.removeAllListeners('exit');
      proc.removeAllListeners('error');
      proc.stdout?.removeAllListeners('data');
      proc.stdout?.resume();
      let exit: string | undefined;
      proc.once('exit', (code, signal) => (exit = signal ? `signal ${signal}` : `code ${code}`));
      resolve({ proc, address: m[1], exited: () => exit, stop: () => stopChild(proc) });
    });
  });
}

/** In a fixture: print the readiness line, and exit when the parent's stdin pipe closes. */
export function announce(address: string): void {
  process.stdout.write(`LISTENING ${address}\n`);
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}
