/**
 * A minimal newline-JSON JSON-RPC client over a child's pipes: the load driver that is the same
 * for every server, so differences between runs are the server's. Like our
 * StdioClientTransport, it joins the messages written in one tick into one write (one syscall
 * for 64 requests): a driver that wrote once per message would handicap every server alike
 * but make the pipe, not the server, the bottleneck of the 64-in-flight figures.
 */
import type { ChildProcess } from 'node:child_process';
import { spawnStdioFixture, stopChild, type FixtureName } from './spawn.js';

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

export class RawStdioClient {
  private nextId = 1;
  private buffered = '';
  private readonly pending = new Map<number, Pending>();
  private queued: string[] = [];
  private constructor(readonly proc: ChildProcess) {
    proc.stdout?.setEncoding('utf8');
    proc.stdout?.on('data', (chunk: string) => this.onData(chunk));
    proc.once('exit', (code) => this.failAll(new Error(`server exited (${code})`)));
  }

  static start(name: FixtureName, args: string[] = []): RawStdioClient {
    return new RawStdioClient(spawnStdioFixture(name, args));
  }

  /** initialize + notifications/initialized (basic/lifecycle#initialization). */
  async handshake(): Promise<void> {
    await this.request('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'bench-raw', version: '1.0.0' } });
    this.write({ jsonrpc: '2.0', method: 'notifications/initialized' });
  }

  request(method: string, params?: unknown): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.write({ jsonrpc: '2.0', id, method, params });
    });
  }

  close(): Promise<void> {
    return stopChild(this.proc);
  }

  get pid(): number {
    return this.proc.pid as number;
  }

  private write(m: unknown): void {
    if (this.queued.length === 0) process.nextTick(this.flush);
    this.queued.push(JSON.stringify(m) + '\n');
  }

  private readonly flush = (): void => {
    const text = this.queued.length === 1 ? this.queued[0]! : this.queued.join('');
    this.queued = [];
    this.proc.stdin?.write(text);
  };

  private onData(chunk: string): void {
    this.buffered += chunk;
    let start = 0;
    let nl: number;
    while ((nl = this.buffered.indexOf('\n', start)) >= 0) {
      const m = JSON.parse(this.buffered.slice(start, nl)) as { id?: number; result?: unknown; error?: { message: string } };
      start = nl + 1;
      const p = m.id === undefined ? undefined : this.pending.get(m.id);
      if (!p) continue;
      this.pending.delete(m.id as number);
      if (m.error) p.reject(new Error(m.error.message));
      else p.resolve(m.result);
    }
    this.buffered = this.buffered.slice(start);
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}
