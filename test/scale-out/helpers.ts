/**
 * Shared by the scale-out and Redis store tests: Redis reachability (fail loudly, never skip),
 * per-run key prefixes and their cleanup, MCP server nodes as child processes, and a private
 * redis-server for tests that stop Redis or read its global counters.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A client for test bookkeeping; rejects with a clear message when Redis is down (tests must fail, not skip). */
export async function requireRedis(url = REDIS_URL): Promise<Redis> {
  const r = new Redis(url, { lazyConnect: true, connectTimeout: 1500, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  r.on('error', () => {});
  try {
    await r.connect();
    await r.ping();
    return r;
  } catch (e) {
    r.disconnect();
    throw new Error(`Redis is not reachable at ${url} (${(e as Error).message}). These tests need a running Redis (e.g. \`redis-server\` on 127.0.0.1:6379, or REDIS_URL); they do not skip.`);
  }
}

export function testPrefix(): string {
  return `erlmcp:test:${randomBytes(5).toString('hex')}:`;
}

async function scan(r: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys;
}

/** Keys under `prefix` that would live forever (no TTL). */
export async function keysWithoutTtl(r: Redis, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for (const k of await scan(r, prefix)) if ((await r.pttl(k)) === -1) out.push(k);
  return out;
}

export async function deleteKeys(r: Redis, prefix: string): Promise<void> {
  const keys = await scan(r, prefix);
  if (keys.length > 0) await r.del(...keys);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until `check` holds. The default bound is a backstop for a broken build, not a timing claim. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000, everyMs = 50): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

// ---------- MCP nodes as child processes ----------

export interface NodeProcess {
  readonly url: string;
  readonly origin: string;
  readonly nodeId: string;
  readonly proc: ChildProcess;
  stderr(): string;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
}

const NODE_SCRIPT = fileURLToPath(new URL('./node.js', import.meta.url));

export interface NodeOptions {
  redisUrl?: string;
  prefix: string;
  heartbeatMs?: number;
}

export async function spawnNode(options: NodeOptions): Promise<NodeProcess> {
  const proc = spawn(process.execPath, [NODE_SCRIPT], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ERLMCP_REDIS_URL: options.redisUrl ?? REDIS_URL, ERLMCP_PREFIX: options.prefix, ERLMCP_HEARTBEAT_MS: String(options.heartbeatMs ?? 300) },
  });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-20_000)));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const info = await new Promise<{ url: string; nodeId: string }>((resolve, reject) => {
    const rl = createInterface({ input: proc.stdout! });
    // Generous (a loaded machine starts node slowly); a node that never starts is killed, not left running.
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`node did not start within 60 s: ${err}`));
    }, 60_000);
    rl.once('line', (line) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(line) as { url: string; nodeId: string });
      } catch {
        reject(new Error(`unexpected node output: ${line} ${err}`));
      }
    });
    proc.once('exit', (code) => reject(new Error(`node exited with ${code} before listening: ${err}`)));
  });
  const signal = async (sig: NodeJS.Signals): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(sig);
    await exited;
  };
  return { url: info.url, origin: new URL(info.url).origin, nodeId: info.nodeId, proc, stderr: () => err, stop: () => signal('SIGTERM'), kill: () => signal('SIGKILL') };
}

export async function spawnNodes(n: number, options: NodeOptions): Promise<NodeProcess[]> {
  return Promise.all(Array.from({ length: n }, () => spawnNode(options)));
}

// ---------- a private redis-server ----------

export interface PrivateRedis {
  readonly url: string;
  readonly port: number;
  /** SHUTDOWN SAVE: the data survives a later start(). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stop and remove its data directory. */
  dispose(): Promise<void>;
}

/** `args`: more redis-server options, e.g. `['--cluster-enabled', 'yes']` (files it writes go to its data directory). */
export async function startPrivateRedis(options: { args?: readonly string[] } = {}): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'erlmcp-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  let proc: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...(options.args ?? [])], { stdio: 'ignore' });
    await waitFor(`redis-server on ${port}`, async () => {
      try {
        (await requireRedis(url)).disconnect();
        return true;
      } catch {
        return false;
      }
    });
  };
  const stop = async (): Promise<void> => {
    const p = proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
    const r = await requireRedis(url);
    await r.call('SHUTDOWN', 'SAVE').catch(() => {}); // the connection drops as the server exits
    r.disconnect();
    await exited;
  };
  await start();
  return {
    url,
    port,
    stop,
    start,
    dispose: async () => {
      const p = proc;
      if (p && p.exitCode === null) {
        const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
        p.kill('SIGKILL');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
