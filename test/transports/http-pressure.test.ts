/**
 * Pressure on the HTTP transports (issue 5), against a server in a child process (its memory
 * measured on its own, after full GCs):
 * - a slow reader: a client opens an SSE response that streams far more than any buffer, and
 *   never reads it. The server must cut the stream (SseWriter / the legacy session drop a
 *   client more than 8 MiB behind), not grow without bound, and keep serving others;
 * - a flood: 16 keep-alive connections send pings as fast as they are answered while another
 *   client's tools/calls still complete.
 * Both for Streamable HTTP and for the legacy HTTP+SSE transport.
 */
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Client } from '../../src/client/index.js';
import type { CallToolResult } from '../../src/protocol/types.js';
import { StreamableHttpClientTransport } from '../../src/transports/http/index.js';
import { LegacySseClientTransport } from '../../src/transports/sse-legacy/index.js';
import { spawnChild, type Child } from './fixtures/child.js';
import { ACCEPT, lastEventId, post, sseMessages, unreadRequest } from './fixtures/raw-http.js';

const SERVER = fileURLToPath(new URL('./fixtures/http-pressure-server.js', import.meta.url));
const MiB = 1024 * 1024;
/**
 * What the never-reading client is sent: 32 000 × 6 KiB ≈ 188 MiB, far past any buffer. The
 * event size keeps the EventStore's retained tail of the stream (1000 events by default) under
 * the SSE writer's 8 MiB bound, which a resumption replay — written in one burst — must fit.
 */
const SPEW = { count: 32_000, size: 6 * 1024 };
const SPEW_BYTES = SPEW.count * SPEW.size;
/** Growth the server may show, after GC, while the slow client is still connected. */
const MEMORY_BOUND = 64 * MiB;
const FLOOD_CONNECTIONS = 16;
const FLOOD_MS = 2000;
/**
 * A backstop on one tools/call under pressure: the behaviour is that it is served (each call
 * completes while the pressure is still on), not how fast. The machine may be loaded (load
 * average 10), so this is far from any latency; the times are printed, not asserted.
 */
const CALL_BOUND_MS = 30_000;
const PROTOCOL_VERSION = '2025-11-25';
const INIT = { jsonrpc: '2.0', id: 'init', method: 'initialize', params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'pressure', version: '1.0.0' } } };
const INITIALIZED = { jsonrpc: '2.0', method: 'notifications/initialized' };
const spewCall = { jsonrpc: '2.0', id: 'spew', method: 'tools/call', params: { name: 'spew', arguments: SPEW } };

interface Mem {
  heapUsed: number;
  external: number;
  rss: number;
}
interface Report {
  baseline: Mem;
  peak: Mem;
  held: Mem;
}
interface Spew {
  sent: number;
  error?: string;
}

const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;
/** Heap objects plus Buffers: where queued output would sit. */
const retained = (m: Mem) => m.heapUsed + m.external;

function describeMemory(r: Report): string {
  return `held +${mib(retained(r.held) - retained(r.baseline))} heap+external, rss +${mib(r.held.rss - r.baseline.rss)} after GC; peak rss +${mib(r.peak.rss - r.baseline.rss)}`;
}

let child: Child;
let base = '';

before(async () => {
  child = spawnChild(SERVER, [], { nodeFlags: ['--expose-gc'] });
  ({ base } = await child.request<{ base: string }>('listen'));
});
after(async () => {
  await child.stop();
});

/** An initialized Streamable HTTP session, by hand; returns the headers its requests carry. */
async function streamableSession(): Promise<Record<string, string>> {
  const init = await post(`${base}/mcp`, INIT);
  assert.equal(init.status, 200);
  const sid = init.headers['mcp-session-id'];
  assert.ok(typeof sid === 'string');
  const headers = { 'mcp-session-id': sid, 'mcp-protocol-version': PROTOCOL_VERSION };
  assert.equal((await post(`${base}/mcp`, INITIALIZED, headers)).status, 202);
  return headers;
}

/** Times a well-behaved client's echo calls, one after another, while `keepGoing(callsSoFar)`. */
async function timedEchoes(client: Client, keepGoing: (done: number) => boolean): Promise<number[]> {
  const times: number[] = [];
  while (keepGoing(times.length)) {
    const began = performance.now();
    const r: CallToolResult = await client.callTool({ name: 'echo', arguments: { text: `call ${times.length}` } });
    times.push(performance.now() - began);
    assert.deepEqual(r.content, [{ type: 'text', text: `call ${times.length - 1}` }]);
  }
  return times;
}

async function connected(transport: StreamableHttpClientTransport | LegacySseClientTransport): Promise<Client> {
  const client = new Client({ name: 'well-behaved', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

// ---------- slow reader ----------

describe('HTTP transports: a client that never reads its SSE stream', { concurrency: false }, () => {
  it('Streamable HTTP: the response is cut, server memory stays bounded, others are served, and the result is recoverable with Last-Event-ID', async () => {
    const session = await streamableSession();
    await child.request('mark');
    const slow = await unreadRequest('POST', `${base}/mcp`, { 'content-type': 'application/json', accept: ACCEPT, ...session }, JSON.stringify(spewCall));
    assert.equal(slow.res.statusCode, 200);
    assert.match(String(slow.res.headers['content-type']), /text\/event-stream/);

    const normal = await connected(new StreamableHttpClientTransport(`${base}/mcp`));
    const times = await timedEchoes(normal, (n) => n < 5);
    const { spews } = await child.request<{ spews: Spew[] }>('waitSpews', { n: 1 });
    // A dropped connection is not a cancellation (basic/transports): the tool ran to the end.
    assert.deepEqual(spews, [{ sent: SPEW.count }]);
    const report = await child.request<Report>('report');
    const grew = retained(report.held) - retained(report.baseline);
    assert.ok(grew < MEMORY_BOUND, `server retained +${mib(grew)} for a client that read nothing of ${mib(SPEW_BYTES)}`);
    assert.ok(Math.max(...times) < CALL_BOUND_MS, `a well-behaved client's calls took ${times.map((x) => x.toFixed(0)).join(', ')} ms`);

    // Reading at last, the slow client finds its stream cut short: no final response.
    const got = await slow.readAll();
    assert.equal(got.complete, false, 'the response was cut, not ended');
    assert.ok(got.bytes < SPEW_BYTES / 4, `the client got ${mib(got.bytes)} before the cut`);
    assert.ok(!sseMessages(got.text).some((m) => m.id === 'spew'), 'the result never reached the cut stream');

    // basic/transports#resumability-and-redelivery: the client resumes from the last event id it
    // read, as often as the stream is cut again (a replay is written at once, so a backlog over
    // the writer's 8 MiB bound is itself delivered in several connections).
    let lastId = lastEventId(got.text);
    let final: ReturnType<typeof sseMessages>[number] | undefined;
    let rounds = 0;
    while (!final && rounds++ < 20) {
      assert.ok(lastId, 'the stream carried event ids');
      const resumed = await unreadRequest('GET', `${base}/mcp`, { accept: 'text/event-stream', 'last-event-id': lastId, ...session });
      assert.equal(resumed.res.statusCode, 200);
      const { text } = await resumed.readAll();
      final = sseMessages(text).find((m) => m.id === 'spew');
      lastId = lastEventId(text) ?? lastId;
    }
    assert.deepEqual(final?.result?.content, [{ type: 'text', text: `spewed ${SPEW.count}` }], 'the result was recovered by resuming');
    await normal.close();
    console.log(
      `http-pressure: streamable slow reader: client read ${mib(got.bytes)} of ${mib(SPEW_BYTES)} before the cut, result recovered in ${rounds} resumption(s); ` +
        `server ${describeMemory(report)}; echo max ${Math.max(...times).toFixed(1)} ms`,
    );
  });

  it('legacy HTTP+SSE: the connection and its session are dropped, server memory stays bounded, others are served', async () => {
    const slow = await unreadRequest('GET', `${base}/sse`, { accept: 'text/event-stream' }, undefined, (text) => /event: endpoint\ndata: .+\n\n/.test(text));
    const endpoint = /event: endpoint\ndata: (.+)\n/.exec(slow.head)![1]!;
    const messages = new URL(endpoint, base).href;
    await child.request('mark');
    for (const m of [INIT, INITIALIZED, spewCall]) assert.equal((await post(messages, m)).status, 202);

    const normal = await connected(new LegacySseClientTransport(`${base}/sse`));
    const times = await timedEchoes(normal, (n) => n < 5);
    const { spews } = await child.request<{ spews: Spew[] }>('waitSpews', { n: 1 });
    // The session ended with its connection, so the tool's next log failed and it stopped early.
    assert.equal(spews.length, 1);
    assert.ok(spews[0]!.error !== undefined && spews[0]!.sent < SPEW.count, `the tool stopped once its session was gone (sent ${spews[0]!.sent})`);
    const report = await child.request<Report>('report');
    const grew = retained(report.held) - retained(report.baseline);
    assert.ok(grew < MEMORY_BOUND, `server retained +${mib(grew)} for a client that read nothing of ${mib(SPEW_BYTES)}`);
    assert.ok(Math.max(...times) < CALL_BOUND_MS, `a well-behaved client's calls took ${times.map((x) => x.toFixed(0)).join(', ')} ms`);
    assert.equal((await post(messages, { jsonrpc: '2.0', id: 1, method: 'ping' })).status, 404, 'the slow session is gone');
    assert.equal((await child.request<{ legacy: number }>('count')).legacy, 1, 'only the well-behaved session remains');

    const got = await slow.readAll();
    assert.equal(got.complete, false, 'the stream was cut, not ended');
    assert.ok(got.bytes < SPEW_BYTES / 4, `the client got ${mib(got.bytes)} before the cut`);
    await normal.close();
    console.log(`http-pressure: legacy slow reader: client read ${mib(got.bytes)}, tool stopped after ${spews[0]!.sent} of ${SPEW.count} logs; server ${describeMemory(report)}; echo max ${Math.max(...times).toFixed(1)} ms`);
  });
});

// ---------- flood ----------

interface Flood {
  sockets: Set<Socket>;
  sent: number;
  failures: number;
  stop(): Promise<void>;
}

/** FLOOD_CONNECTIONS keep-alive connections, each POSTing the next ping as soon as the last is answered. */
function flood(url: string, headers: Record<string, string>, answered: (r: { status: number; body: string }) => boolean): Flood {
  const agent = new Agent({ keepAlive: true, maxSockets: FLOOD_CONNECTIONS });
  let stopped = false;
  let id = 0;
  const f: Flood = {
    sockets: new Set(),
    sent: 0,
    failures: 0,
    stop: async () => {
      stopped = true;
      await workers;
      agent.destroy();
    },
  };
  const worker = async (): Promise<void> => {
    while (!stopped) {
      const r = await post(url, { jsonrpc: '2.0', id: `flood-${id++}`, method: 'ping' }, headers, agent, (s) => f.sockets.add(s));
      f.sent++;
      if (!answered(r)) f.failures++;
    }
  };
  const workers = Promise.all(Array.from({ length: FLOOD_CONNECTIONS }, worker));
  return f;
}

describe('HTTP transports: a ping flood on 16 keep-alive connections', { concurrency: false }, () => {
  it("Streamable HTTP: another client's tools/calls keep completing during the flood", async () => {
    const session = await streamableSession();
    const normal = await connected(new StreamableHttpClientTransport(`${base}/mcp`));
    await child.request('mark');
    const f = flood(`${base}/mcp`, session, (r) => r.status === 200 && /"result":\{\}/.test(r.body));
    const end = performance.now() + FLOOD_MS;
    const times = await timedEchoes(normal, () => performance.now() < end);
    await f.stop();
    const report = await child.request<Report>('report');
    assert.equal(f.failures, 0, 'every flood ping was answered');
    assert.ok(f.sent > FLOOD_CONNECTIONS, `the flood sent ${f.sent} pings`);
    assert.equal(f.sockets.size, FLOOD_CONNECTIONS, 'the flood reused its keep-alive connections');
    assert.ok(times.length > 0, 'tools/calls completed during the flood');
    assert.ok(Math.max(...times) < CALL_BOUND_MS, `slowest tools/call during the flood took ${Math.max(...times).toFixed(0)} ms`);
    await normal.close();
    console.log(`http-pressure: streamable flood: ${f.sent} pings in ${FLOOD_MS} ms on ${FLOOD_CONNECTIONS} connections; ${times.length} tools/calls, max ${Math.max(...times).toFixed(1)} ms; server ${describeMemory(report)}`);
  });

  it("legacy HTTP+SSE: another client's tools/calls keep completing during the flood", async () => {
    // The flood's own session: POSTs are answered 202, the pongs arrive on its SSE stream.
    const stream = await unreadRequest('GET', `${base}/sse`, { accept: 'text/event-stream' }, undefined, (text) => /event: endpoint\ndata: .+\n\n/.test(text));
    const messages = new URL(/event: endpoint\ndata: (.+)\n/.exec(stream.head)![1]!, base).href;
    let pongs = 0;
    let tail = '';
    stream.res.on('data', (c: string) => {
      // A match may straddle two chunks: keep a tail one character shorter than the pattern.
      const text = tail + c;
      pongs += text.split('"result":{}').length - 1;
      tail = text.slice(-10);
    });
    const streamDone = stream.readAll();
    for (const m of [INIT, INITIALIZED]) assert.equal((await post(messages, m)).status, 202);
    const normal = await connected(new LegacySseClientTransport(`${base}/sse`));
    await child.request('mark');
    const f = flood(messages, {}, (r) => r.status === 202);
    const end = performance.now() + FLOOD_MS;
    const times = await timedEchoes(normal, () => performance.now() < end);
    await f.stop();
    const report = await child.request<Report>('report');
    assert.equal(f.failures, 0, 'every flood ping was accepted');
    assert.equal(f.sockets.size, FLOOD_CONNECTIONS, 'the flood reused its keep-alive connections');
    const deadline = Date.now() + 30_000;
    while (pongs < f.sent && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(pongs, f.sent, 'every flood ping was answered on the SSE stream');
    assert.ok(times.length > 0, 'tools/calls completed during the flood');
    assert.ok(Math.max(...times) < CALL_BOUND_MS, `slowest tools/call during the flood took ${Math.max(...times).toFixed(0)} ms`);
    await normal.close();
    stream.res.destroy();
    await streamDone;
    console.log(`http-pressure: legacy flood: ${f.sent} pings in ${FLOOD_MS} ms on ${FLOOD_CONNECTIONS} connections; ${times.length} tools/calls, max ${Math.max(...times).toFixed(1)} ms; server ${describeMemory(report)}`);
  });
});
