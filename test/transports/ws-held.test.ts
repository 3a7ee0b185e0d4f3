/**
 * Held connections (issue 5): 10 000 concurrent WebSocket connections on one server process,
 * each an initialized MCP session of the everything server. The server and the 10 000 client
 * sockets run in two child processes, so each has its own file descriptors and the server's
 * memory is its own; the test process only orchestrates.
 *
 * Prints `ws-held: …` with the server's heap and RSS per connection (after full GCs, against a
 * warmed-up baseline) and ping round trips on 200 sampled connections while all are held.
 * Only behaviour is asserted: timings and memory are reported, not judged.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { sleep } from '../helpers/pair.js';
import { spawnChild, type Child } from './fixtures/child.js';

const CONNECTIONS = 10_000;
const OPEN_CONCURRENCY = 200;
const PING_SAMPLES = 200;
const SERVER = fileURLToPath(new URL('./fixtures/ws-held-server.js', import.meta.url));
const CLIENT = fileURLToPath(new URL('./fixtures/ws-held-client.js', import.meta.url));

interface Stats {
  connections: number;
  sessions: number;
  errors: number;
  heapUsed: number;
  rss: number;
}

/** The soft open-files limit of a running process (Linux). */
function openFilesLimit(pid: number): number {
  const line = readFileSync(`/proc/${pid}/limits`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  const soft = line?.split(/\s{2,}/)[1];
  return soft === 'unlimited' ? Infinity : Number(soft);
}

async function untilCount(server: Child, want: number, timeoutMs: number): Promise<{ connections: number; sessions: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = await server.request<{ connections: number; sessions: number }>('count');
    if ((c.connections === want && c.sessions === want) || Date.now() > deadline) return c;
    await sleep(50);
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

// Bounds here are backstops, generous for a loaded machine (load average 10): the test asserts
// what was served and released, and prints how long it took.
describe('WebSocket transport: 10 000 held connections on one process', () => {
  it('initializes 10 000 sessions, answers every sampled ping while all are held, and closes each one cleanly', { timeout: 600_000 }, async (t) => {
    const server = spawnChild(SERVER, [], { nodeFlags: ['--expose-gc'], raiseFdLimit: true });
    const client = spawnChild(CLIENT, [], { raiseFdLimit: true });
    t.after(async () => {
      await client.stop();
      await server.stop();
    });
    const { url } = await server.request<{ url: string }>('listen');
    for (const [who, child] of [['server', server], ['client', client]] as const) {
      const limit = openFilesLimit(child.pid);
      assert.ok(limit >= CONNECTIONS + 1000, `the ${who} process may open only ${limit} files; raise the hard limit (ulimit -Hn) to at least ${CONNECTIONS + 1000}`);
    }

    // Warm up (code compiled, pools allocated), so the baseline is a server that has served.
    const warm = await client.request<{ initialized: number }>('open', { url, count: 200, concurrency: 50 });
    assert.equal(warm.initialized, 200);
    await client.request('ping', { samples: 50 });
    await client.request('close');
    assert.deepEqual(await untilCount(server, 0, 60_000), { connections: 0, sessions: 0 });
    const before = await server.request<Stats>('stats');

    const opened = await client.request<{ initialized: number; failed: number; firstError?: string; ms: number }>(
      'open',
      { url, count: CONNECTIONS, concurrency: OPEN_CONCURRENCY },
      300_000,
    );
    assert.equal(opened.initialized, CONNECTIONS, `${opened.failed} connections failed: ${opened.firstError ?? ''}`);
    const during = await server.request<Stats>('stats');
    assert.equal(during.connections, CONNECTIONS, 'the server holds every connection');
    assert.equal(during.sessions, CONNECTIONS, 'one session per connection');

    const pings = await client.request<{ answered: number; sampled: number; latencies: number[] }>('ping', { samples: PING_SAMPLES }, 180_000);
    assert.equal(pings.sampled, PING_SAMPLES);
    assert.equal(pings.answered, PING_SAMPLES, 'every sampled ping was answered');

    const closed = await client.request<{ closed: number; codes: Record<string, number>; dropped: number }>('close', {}, 180_000);
    assert.equal(closed.dropped, 0, 'the server closed no connection while they were held');
    assert.deepEqual(closed.codes, { '1000': CONNECTIONS }, 'every connection ended with a completed 1000 close handshake');
    assert.deepEqual(await untilCount(server, 0, 120_000), { connections: 0, sessions: 0 }, 'the server released every connection and session');

    const kib = (bytes: number) => (bytes / 1024 / CONNECTIONS).toFixed(1);
    const ms = (x: number) => x.toFixed(2);
    console.log(
      `ws-held: ${CONNECTIONS} connections, heap ${kib(during.heapUsed - before.heapUsed)} KiB/conn, rss ${kib(during.rss - before.rss)} KiB/conn, ` +
        `ping p50 ${ms(percentile(pings.latencies, 50))} ms p99 ${ms(percentile(pings.latencies, 99))} ms`,
    );
    console.log(`ws-held: opened ${CONNECTIONS} in ${opened.ms} ms (concurrency ${OPEN_CONCURRENCY}); server heap ${(during.heapUsed / 2 ** 20).toFixed(0)} MiB, rss ${(during.rss / 2 ** 20).toFixed(0)} MiB while held`);
  });
});
