/**
 * A raw stdio session with a server process: every stdout line is kept and classified, requests
 * are matched to responses by id, and the process can be asked to exit by closing its stdin
 * (basic/lifecycle#shutdown, stdio). Used for the checks our Client would hide: what else the
 * server writes to stdout, how it answers a line that is not JSON, how it exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { getDefaultEnvironment } from '../../transports/stdio/index.js';

export interface StdoutLine {
  text: string;
  /** Parsed JSON-RPC 2.0 message, or undefined when the line is not one. */
  message: Record<string, unknown> | undefined;
}

export interface StdioCommand {
  command: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
}

function asJsonRpc(text: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && (v as { jsonrpc?: unknown }).jsonrpc === '2.0') return v as Record<string, unknown>;
  } catch {
    // not JSON
  }
  return undefined;
}

export class RawStdio {
  readonly lines: StdoutLine[] = [];
  readonly stderrTail: string[] = [];
  private readonly child: ChildProcess;
  private buffer = '';
  private waiters: { test: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private exitedFlag = false;

  constructor(cmd: StdioCommand) {
    this.child = spawn(cmd.command, cmd.args, { env: { ...getDefaultEnvironment(), ...cmd.env }, cwd: cmd.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitedFlag = true;
        resolve({ code, signal });
      });
      this.child.once('error', () => {
        this.exitedFlag = true;
        resolve({ code: null, signal: null });
      });
    });
    this.child.stdin?.on('error', () => {}); // EPIPE when the server already exited
    this.child.stdout?.setEncoding('utf8');
    this.child.stdout?.on('data', (chunk: string) => this.onData(chunk));
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (chunk: string) => {
      this.stderrTail.push(chunk);
      if (this.stderrTail.length > 20) this.stderrTail.shift();
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get hasExited(): boolean {
    return this.exitedFlag;
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let nl = this.buffer.indexOf('\n');
    while (nl >= 0) {
      const text = this.buffer.slice(0, nl).replace(/\r$/, '');
      this.buffer = this.buffer.slice(nl + 1);
      const message = asJsonRpc(text);
      this.lines.push({ text, message });
      if (message) {
        for (const w of [...this.waiters]) {
          if (w.test(message)) {
            this.waiters.splice(this.waiters.indexOf(w), 1);
            w.resolve(message);
          }
        }
      }
      nl = this.buffer.indexOf('\n');
    }
  }

  /** Writes one line as it is (a newline is added). */
  writeLine(text: string): void {
    this.child.stdin?.write(`${text}\n`);
  }

  /** Resolves with the first message (already received or not) for which `test` holds, or undefined after `timeoutMs`. */
  waitFor(test: (m: Record<string, unknown>) => boolean, timeoutMs: number): Promise<Record<string, unknown> | undefined> {
    const seen = this.lines.find((l) => l.message && test(l.message));
    if (seen) return Promise.resolve(seen.message);
    return new Promise((resolve) => {
      const waiter = {
        test,
        resolve: (m: Record<string, unknown> | undefined) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        resolve(undefined);
      }, timeoutMs);
      this.waiters.push(waiter);
      void this.exited.then(() => {
        if (this.waiters.includes(waiter)) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.resolve(undefined);
        }
      });
    });
  }

  /** Sends a request and waits for its response (undefined when none comes in time). */
  request(id: number | string, method: string, params: Record<string, unknown> | undefined, timeoutMs: number): Promise<Record<string, unknown> | undefined> {
    this.writeLine(JSON.stringify(params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params }));
    return this.waitFor((m) => m.id === id && (m.result !== undefined || m.error !== undefined), timeoutMs);
  }

  notify(method: string, params?: Record<string, unknown>): void {
    this.writeLine(JSON.stringify(params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params }));
  }

  /** Closes stdin and waits up to `timeoutMs` for the process to exit on its own; true if it did. */
  async closeStdin(timeoutMs: number): Promise<boolean> {
    this.child.stdin?.end();
    let timer: NodeJS.Timeout | undefined;
    const exited = await Promise.race([this.exited.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs)))]);
    clearTimeout(timer);
    return exited;
  }

  /** Ends the process for sure (SIGTERM, then SIGKILL after 2 s). */
  async kill(): Promise<void> {
    if (this.exitedFlag) return;
    this.child.stdin?.destroy();
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.exited, new Promise((r) => (timer = setTimeout(r, 2000)))]);
    clearTimeout(timer);
    if (!this.exitedFlag) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}
