/**
 * Starts a third-party HTTP MCP server as a child process on a free port: it is told port 0
 * (through the environment variable it reads) and the port it really bound is read from /proc
 * once it listens — no port guessing, no race with other tests.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { listeningPorts } from '../../src/cli/bench/proc.js';

export interface ServerProcess {
  pid: number;
  port: number;
  url: string;
  stop(): Promise<void>;
}

export async function startServerProcess(command: string, args: string[], env: Record<string, string>, path = '/mcp'): Promise<ServerProcess> {
  const child = spawn(command, args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-2000)));
  const exited = once(child, 'exit');
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(t);
  };
  try {
    // Bounded wait for the listening socket to appear (checked every 50 ms, at most 30 s).
    for (let i = 0; i < 600; i++) {
      if (child.exitCode !== null) throw new Error(`${command} exited with ${child.exitCode}: ${stderr}`);
      const ports = listeningPorts(child.pid!);
      if (ports.length) return { pid: child.pid!, port: ports[0]!, url: `http://127.0.0.1:${ports[0]}${path}`, stop };
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${command} did not listen within 30 s: ${stderr}`);
  } catch (e) {
    await stop();
    throw e;
  }
}
