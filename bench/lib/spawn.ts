/**
 * Server fixtures run in child processes (compiled to dist/bench/fixtures/*.js), so the load
 * generator and the server under test never share an event loop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export type FixtureName = 'ours-stdio' | 'sdk-stdio' | 'raw-stdio' | 'ours-http' | 'sdk-http' | 'raw-http';

export function fixturePath(name: FixtureName): string {
  return fileURLToPath(new URL(`../fixtures/${name}.js`, import.meta.url));
}

/** Room for a server that retains memory per call or session to show it, instead of dying at V8's default heap limit. */
export const BIG_HEAP = ['--max-old-space-size=12288'];

export interface HttpChild {
  proc: ChildProcess;
  pid: number;
  /** http://127.0.0.1:<port> */
  origin: string;
  /** The MCP endpoint. */
  url: string;
  /** Set once the child has exited, e.g. "signal SIGABRT" after running out of heap. */
  exited(): string | undefined;
  stop(): Promise<void>;
}

/**
 * Starts an HTTP fixture with --expose-gc (plus `nodeArgs`, e.g. a larger heap limit) and
 * waits for its `LISTENING <origin>` line.
 */
export function startHttpFixture(name: FixtureName, args: string[] = [], nodeArgs: string[] = []): Promise<HttpChild> {
  const proc = spawn(process.execPath, ['--expose-gc', ...nodeArgs, fixturePath(name), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
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
      const origin = m[1];
      let exit: string | undefined;
      proc.once('exit', (code, signal) => (exit = signal ? `signal ${signal}` : `code ${code}`));
      resolve({ proc, pid: proc.pid as number, origin, url: `${origin}/mcp`, exited: () => exit, stop: () => stopChild(proc) });
    });
  });
}

/** Closes stdin (the fixture exits on EOF), then escalates to SIGKILL after 3 s. */
export function stopChild(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => proc.kill('SIGKILL'), 3000);
    proc.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    proc.stdin?.end();
  });
}

/** Spawns a stdio fixture with piped stdin/stdout (for the raw newline-JSON driver). */
export function spawnStdioFixture(name: FixtureName, args: string[] = []): ChildProcess {
  return spawn(process.execPath, [fixturePath(name), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
}
