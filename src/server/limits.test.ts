import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { connectPair, RawPeer } from '../../test/helpers/pair.js';
import { ErlmcpError, ErrorCode } from '../protocol/errors.js';
import type { CallToolResult } from '../protocol/types.js';
import { McpServer, type ServerOptions } from './server.js';

let servers: McpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});
function newServer(options?: ServerOptions): McpServer {
  const s = new McpServer({ name: 'limits', version: '1.0.0' }, options);
  servers.push(s);
  return s;
}

/** A latch a tool waits on, released by the test: no timing involved. */
function latch(): { wait: Promise<void>; open(): void } {
  let open!: () => void;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

describe('limits: client state at initialize', () => {
  const caps = (bytes: number) => ({ experimental: { blob: { data: 'x'.repeat(bytes) } } });
  it('accepts clientInfo + capabilities at the limit and refuses one byte past it with -32602', async () => {
    const server = newServer({ limits: { maxClientStateBytes: 2000 } });
    const info = { name: 'raw', version: '0' };
    // JSON of [caps, info] with an empty blob, to size the blob exactly.
    const base = JSON.stringify([caps(0), info]).length;
    const atLimit = await RawPeer.connect(server);
    const ok = await atLimit.request('initialize', { protocolVersion: '2025-11-25', capabilities: caps(2000 - base), clientInfo: info });
    assert.equal(ok.result?.protocolVersion, '2025-11-25');
    const past = await RawPeer.connect(server);
    const r = await past.request('initialize', { protocolVersion: '2025-11-25', capabilities: caps(2001 - base), clientInfo: info });
    assert.equal(r.error?.code, ErrorCode.InvalidParams);
    assert.match(r.error!.message, /2001 bytes .* at most 2000/);
    // The refused session is not initialized, and the server keeps serving.
    const again = await past.request('ping');
    assert.deepEqual(again.result, {});
    await atLimit.close();
    await past.close();
  });

  it('has a 64 KiB default', () => {
    assert.equal(newServer().limits.maxClientStateBytes, 65536);
  });
});

describe('limits: requests in flight per session', () => {
  it('runs the limit at once and answers one more with -32000 max_in_flight; later ones run again', async () => {
    const server = newServer({ limits: { maxInFlightPerSession: 3 } });
    const gate = latch();
    let started = 0;
    server.tool('hold', {}, async () => {
      started++;
      await gate.wait;
      return { content: [] };
    });
    const peer = await RawPeer.connect(server);
    await peer.initialize();
    for (let id = 1; id <= 4; id++) await peer.send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'hold' } });
    const refused = await peer.response(4);
    assert.equal(refused.error?.code, ErrorCode.ServerError);
    assert.equal((refused.error?.data as { reason: string }).reason, 'max_in_flight');
    assert.equal(started, 3);
    gate.open();
    for (const id of [1, 2, 3]) assert.deepEqual((await peer.response(id)).result, { content: [] });
    const after = await peer.request('tools/call', { name: 'hold' });
    assert.deepEqual(after.result, { content: [] });
    await peer.close();
  });
});

describe('limits: server→client requests pending per session', () => {
  it('sends up to the limit and rejects the next locally with ERR_LIMIT', async () => {
    const server = newServer({ limits: { maxPendingClientRequests: 2 } });
    const outcomes: string[] = [];
    server.tool('ask3', {}, async (_a, ctx) => {
      const asks = [0, 1, 2].map((i) =>
        ctx.listRoots().then(
          () => `ok${i}`,
          (e: unknown) => (e instanceof ErlmcpError ? `${e.code}${i}` : `other${i}`),
        ),
      );
      outcomes.push(...(await Promise.all(asks)));
      return { content: [] };
    });
    const pair = await connectPair(server, { roots: [] });
    await pair.client.callTool({ name: 'ask3' });
    assert.deepEqual(outcomes, ['ok0', 'ok1', 'ERR_LIMIT2']);
    await pair.close();
  });
});

describe('limits: per-tool concurrency and queue', () => {
  it('runs `concurrency` calls, queues `queue` more, refuses the next with tool_busy, then drains in order', async () => {
    const server = newServer();
    const gate = latch();
    const order: number[] = [];
    server.tool('narrow', { concurrency: 1, queue: 1, inputSchema: { type: 'object' } }, async (args) => {
      order.push(args.n as number);
      await gate.wait;
      return { content: [] };
    });
    const peer = await RawPeer.connect(server);
    await peer.initialize();
    for (let n = 1; n <= 3; n++) await peer.send({ jsonrpc: '2.0', id: n, method: 'tools/call', params: { name: 'narrow', arguments: { n } } });
    const busy = await peer.response(3);
    assert.equal(busy.error?.code, ErrorCode.ServerError);
    assert.equal((busy.error?.data as { reason: string }).reason, 'tool_busy');
    assert.match(busy.error!.message, /Tool narrow is busy/);
    assert.deepEqual(order, [1]);
    gate.open();
    assert.deepEqual((await peer.response(1)).result, { content: [] });
    assert.deepEqual((await peer.response(2)).result, { content: [] });
    assert.deepEqual(order, [1, 2]);
    await peer.close();
  });

  it('a queued call the client cancels leaves the queue and gets no response', async () => {
    const server = newServer();
    const gate = latch();
    let runs = 0;
    server.tool('one', { concurrency: 1, queue: 5 }, async () => {
      runs++;
      await gate.wait;
      return { content: [] };
    });
    const peer = await RawPeer.connect(server);
    await peer.initialize();
    await peer.send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'one' } });
    await peer.send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'one' } });
    await peer.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 2 } });
    gate.open();
    await peer.response(1);
    // A later call runs (the cancelled one freed its queue place and never ran).
    await peer.request('tools/call', { name: 'one' });
    assert.equal(runs, 2);
    assert.equal(peer.received.filter((m) => m.id === 2).length, 0);
    await peer.close();
  });
});

describe('limits: tool timeouts', () => {
  it('aborts the handler signal and answers -32001 naming the tool; the next call works', async () => {
    const server = newServer();
    let abortedWith: unknown;
    server.tool('slow', { timeoutMs: 30 }, (_a, ctx) => {
      return new Promise<CallToolResult>((resolve) => {
        ctx.signal.addEventListener('abort', () => {
          abortedWith = ctx.signal.reason;
          resolve({ content: [{ type: 'text', text: 'late' }] });
        });
      });
    });
    server.tool('fast', {}, () => ({ content: [] }));
    const peer = await RawPeer.connect(server);
    await peer.initialize();
    const r = await peer.request('tools/call', { name: 'slow' });
    assert.equal(r.error?.code, ErrorCode.RequestTimeout);
    assert.match(r.error!.message, /Tool slow timed out after 30 ms/);
    assert.ok(abortedWith instanceof Error);
    assert.deepEqual((await peer.request('tools/call', { name: 'fast' })).result, { content: [] });
    await peer.close();
  });

  it('answers even when the handler ignores its signal (its late result is dropped)', async () => {
    const server = newServer({ limits: { toolTimeoutMs: 20 } });
    const gate = latch();
    server.tool('deaf', {}, async () => {
      await gate.wait;
      return { content: [{ type: 'text', text: 'late' }] };
    });
    const peer = await RawPeer.connect(server);
    await peer.initialize();
    const r = await peer.request('tools/call', { name: 'deaf' });
    assert.equal(r.error?.code, ErrorCode.RequestTimeout);
    gate.open();
    const pong = await peer.request('ping');
    assert.deepEqual(pong.result, {});
    assert.equal(peer.received.filter((m) => m.id === r.id).length, 1, 'exactly one answer');
    await peer.close();
  });

  it('refuses limits that are not numbers ≥ 0', () => {
    assert.throws(() => new McpServer({ name: 'x', version: '1' }, { limits: { maxSessions: -1 } }), /limits.maxSessions must be a non-negative number/);
  });
});

describe('invalid results', () => {
  it('answers -32603 naming the problem for a handler result that is not a result object', async () => {
    const server = newServer();
    server.tool('number', {}, () => 42 as never);
    server.tool('nothing', {}, () => undefined as never);
    server.tool('no-content', {}, () => ({ structuredContent: {} }) as never);
    const peer = await RawPeer.connect(server);
    await peer.initialize();
    const a = await peer.request('tools/call', { name: 'number' });
    assert.deepEqual(a.error, { code: -32603, message: 'Tool number returned an invalid result: expected an object with a content array, got number' });
    const b = await peer.request('tools/call', { name: 'nothing' });
    assert.equal(b.error?.code, -32603);
    assert.match(b.error!.message, /got undefined/);
    const c = await peer.request('tools/call', { name: 'no-content' });
    assert.match(c.error!.message, /content must be an array/);
    assert.deepEqual((await peer.request('ping')).result, {});
    await peer.close();
  });
});
