/**
 * Issue 9: our HTTP client failed after idle. A server closes an idle keep-alive connection
 * after its timeout (node's http.Server: 5 s, announced as `Keep-Alive: timeout=5`); a client
 * that picks that connection for its next call as the server closes it got `socket hang up` /
 * ECONNRESET, 1–4 calls in 80 after a 5–6 s pause. Here the pause is real (one per test), and
 * the moment of the race is made certain instead of lucky: the client's process is kept busy
 * while the server closes its idle connections — as an agent doing work between two tool calls
 * would be — so none of those closes has been read when the next 80 calls go out. Before the
 * fix, every such call went out on a closed connection; now the pool has let them go (it keeps
 * an idle connection 1 s less than announced), and a call that still meets a closed one is
 * sent again.
 *
 * Against our StreamableHttpServer started with `listen()` and against the official
 * `@modelcontextprotocol/server-everything` (a devDependency) over Streamable HTTP, each in a
 * process of its own.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Agent, get } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Client } from '../../src/client/index.js';
import { StreamableHttpClientTransport } from '../../src/transports/http/index.js';
import { spawnChild, type Child } from './fixtures/child.js';

const require = createRequire(import.meta.url);
const OUR_SERVER = fileURLToPath(new URL('./fixtures/keep-alive-server.js', import.meta.url));
const LOOPBACK_PRELOAD = pathToFileURL(fileURLToPath(new URL('./fixtures/loopback-listen.js', import.meta.url))).href;
const EVERYTHING = join(dirname(require.resolve('@modelcontextprotocol/server-everything/package.json')), 'dist', 'index.js');

/** Calls that fill the pool, and calls sent at once after the pause. */
const CALLS = 80;
/** Idle time of the probe's connection before the pool's are used: it is closed first. */
const GAP_MS = 100;
/** How long after the last expected close the client stays busy. */
const MARGIN_MS = 250;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Fails instead of hanging when an awaited event never comes. */
async function within<T>(p: Promise<T>, what: string, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, limit]);
  } finally {
    clearTimeout(timer);
  }
}

interface Probe {
  /** The answer's Keep-Alive header. */
  keepAlive: string | undefined;
  /** When the answer was read (the connection started to idle). */
  freedAt: number;
  /** Resolves with the time the server's close of the idle connection was seen. */
  closed: Promise<number>;
}

/**
 * One GET on a keep-alive connection of its own (node's plain Agent, which keeps it until the
 * server closes it): shows when this server really closes an idle connection.
 */
function probe(url: URL): Promise<Probe> {
  return new Promise((resolve, reject) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const req = get(url, { agent }, (res) => {
      const socket = res.socket;
      const closed = once(socket, 'close').then(() => performance.now());
      res.resume();
      res.once('end', () => resolve({ keepAlive: String(res.headers['keep-alive']), freedAt: performance.now(), closed }));
    });
    req.once('error', reject);
  });
}

/**
 * The pause that used to fail: CALLS concurrent calls fill the client's pool; the pool idles
 * until the server closes its connections, while this process is busy; then CALLS calls at once.
 * Returns the failures of those last calls.
 */
async function callsAfterIdle(url: string, call: (i: number) => Promise<unknown>): Promise<{ keepAlive: string | undefined; failures: string[] }> {
  const each = (): Promise<unknown>[] => Array.from({ length: CALLS }, (_, i) => call(i));
  const p = await probe(new URL('/health', url));
  await sleep(GAP_MS);
  await Promise.all(each());
  const lastUsed = performance.now();
  // Real idle: the server's own timer decides (≈5–6 s here).
  const closedAt = await within(p.closed, 'the server closing an idle connection', 30_000);
  // Each pooled connection is closed once it has idled as long as the probe's had; the last of
  // them was freed `lastUsed - freedAt` after the probe's. Until then, read no I/O at all.
  const quietUntil = closedAt + (lastUsed - p.freedAt) + MARGIN_MS;
  while (performance.now() < quietUntil) {
    // busy: a client computing between two tool calls
  }
  const settled = await Promise.allSettled(each());
  const failures = settled.flatMap((s) => (s.status === 'rejected' ? [String((s.reason as Error).message)] : []));
  return { keepAlive: p.keepAlive, failures };
}

async function connect(url: string): Promise<Client> {
  const client = new Client({ name: 'keep-alive-test', version: '1.0.0' });
  await client.connect(new StreamableHttpClientTransport(url));
  return client;
}

const echo = (client: Client) => async (i: number) => {
  const r = await client.callTool({ name: 'echo', arguments: { message: `m${i}` } });
  assert.match(JSON.stringify(r.content), new RegExp(`m${i}\\b`));
};

describe('HTTP client after idle: our StreamableHttpServer (listen(), keepAliveTimeout 5000)', () => {
  let server: Child;
  let client: Client | undefined;
  before(() => {
    server = spawnChild(OUR_SERVER);
  });
  after(async () => {
    await client?.close().catch(() => {});
    await server.stop();
  });

  it(`${CALLS} calls after 6 s idle, the server's closes unread: 0 failures`, async () => {
    const { url } = await server.request<{ url: string }>('listen');
    client = await connect(url);
    const { keepAlive, failures } = await callsAfterIdle(url, echo(client));
    assert.equal(keepAlive, 'timeout=5');
    assert.deepEqual(failures, []);
  });
});

/** Starts server-everything (Streamable HTTP) on 127.0.0.1 and a port the system picks. */
async function startEverything(): Promise<{ proc: ChildProcess; url: string }> {
  // It reads PORT and listens on all interfaces; the preload binds it to 127.0.0.1 and
  // announces the port. PORT=0: the system picks a free one.
  const proc = spawn(process.execPath, ['--import', LOOPBACK_PRELOAD, EVERYTHING, 'streamableHttp'], {
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let errText = '';
  const announced = new Promise<number>((resolve, reject) => {
    createInterface({ input: proc.stderr! }).on('line', (line) => {
      if (errText.length < 20_000) errText += `${line}\n`;
      const m = /^loopback-listen 127\.0\.0\.1:(\d+)$/.exec(line);
      if (m) resolve(Number(m[1]));
    });
    proc.once('exit', (code) => reject(new Error(`server-everything exited (${String(code)}): ${errText}`)));
  });
  try {
    const port = await within(announced, 'server-everything listening', 30_000);
    const url = `http://127.0.0.1:${port}/mcp`;
    // Ready when it answers HTTP at all (any status), polled a bounded number of times.
    for (let i = 0; ; i++) {
      const answered = await new Promise<boolean>((resolve) => {
        get(`http://127.0.0.1:${port}/health`, { agent: false }, (res) => {
          res.resume();
          resolve(true);
        }).once('error', () => resolve(false));
      });
      if (answered) break;
      if (i === 100) throw new Error(`server-everything not answering on ${url}: ${errText}`);
      await sleep(100);
    }
    return { proc, url };
  } catch (e) {
    proc.kill('SIGKILL');
    throw e;
  }
}

async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = once(proc, 'exit');
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

describe('HTTP client after idle: official server-everything (Streamable HTTP)', () => {
  let proc: ChildProcess | undefined;
  let client: Client | undefined;
  after(async () => {
    await client?.close().catch(() => {});
    if (proc) await stop(proc);
  });

  it(`${CALLS} calls after 6 s idle, the server's closes unread: 0 failures`, async () => {
    const started = await startEverything();
    proc = started.proc;
    client = await connect(started.url);
    const { keepAlive, failures } = await callsAfterIdle(started.url, echo(client));
    assert.equal(keepAlive, 'timeout=5');
    assert.deepEqual(failures, []);
  });
});
