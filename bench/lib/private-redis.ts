/**
 * A private redis-server for one scenario: a free loopback port, no persistence
 * (`--save '' --appendonly no`), so nothing else's commands land in its INFO commandstats.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export interface PrivateRedis {
  readonly url: string;
  /** A connection for bookkeeping (INFO, FLUSHALL); not one of the nodes'. */
  readonly admin: Redis;
  /** Calls per command since start (INFO commandstats). */
  commandCalls(): Promise<Map<string, number>>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function connect(url: string, deadline: number, proc: ChildProcess): Promise<Redis> {
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`redis-server exited with code ${proc.exitCode}`);
    const r = new Redis(url, { lazyConnect: true, connectTimeout: 500, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    r.on('error', () => {});
    try {
      await r.connect();
      await r.ping();
      return r;
    } catch (e) {
      r.disconnect();
      if (Date.now() > deadline) throw new Error(`redis-server did not answer within 10 s: ${(e as Error).message}`);
      await new Promise((res) => setTimeout(res, 50));
    }
  }
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'erlmcp-bench-redis-'));
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  let notRunnable = false;
  const spawned = new Promise<void>((resolve, reject) => {
    proc.once('spawn', resolve);
    proc.once('error', (e) => {
      notRunnable = true;
      reject(new Error(`redis-server not runnable (install Redis 7): ${e.message}`));
    });
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    // A binary that never started may never emit 'exit'.
    if (!notRunnable) {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await spawned;
    const url = `redis://127.0.0.1:${port}`;
    const admin = await connect(url, Date.now() + 10_000, proc);
    return {
      url,
      admin,
      async commandCalls() {
        const info = String(await admin.call('INFO', 'commandstats'));
        const out = new Map<string, number>();
        for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out.set(m[1] as string, Number(m[2]));
        return out;
      },
      async stop() {
        admin.disconnect();
        await stop();
      },
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
