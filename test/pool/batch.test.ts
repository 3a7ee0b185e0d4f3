/**
 * client.batch() end to end: one JSON-RPC batch in one HTTP POST on a 2025-03-26 session
 * (counted at the server), pipelined POSTs on a later revision (batching was removed in
 * 2025-06-18), and pipelining over stdio. Each batch mixes calls that succeed with one that
 * fails, and `hold` before `release`: `hold` only finishes once `release` ran, so the batch
 * completes only if every call was sent before the first answer was awaited.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client, type BatchResult } from '../../src/client/index.js';
import { McpError, ErrorCode } from '../../src/protocol/errors.js';
import type { CallToolResult, TextContent } from '../../src/protocol/types.js';
import { StreamableHttpClientTransport, StreamableHttpServer } from '../../src/transports/http/index.js';
import { StdioClientTransport } from '../../src/transports/stdio/index.js';
import { poolServer } from './fixtures/pool-server.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/pool-server.js', import.meta.url));

const CALLS = [
  { method: 'tools/call', params: { name: 'hold' } },
  { method: 'tools/call', params: { name: 'echo', arguments: { text: 'one' } } },
  { method: 'tools/call', params: { name: 'no-such-tool' } },
  { method: 'ping' },
  { method: 'tools/call', params: { name: 'echo', arguments: { text: 'two' } } },
  { method: 'tools/call', params: { name: 'release' } },
];

/** The outcomes of CALLS, in order, as a user reads them. */
function check(results: BatchResult[]): void {
  assert.equal(results.length, CALLS.length);
  const text = (r: BatchResult) => (r.status === 'fulfilled' ? ((r.value as CallToolResult).content[0] as TextContent | undefined)?.text : undefined);
  assert.equal(text(results[0]!), 'released');
  assert.equal(text(results[1]!), 'one');
  const failed = results[2]!;
  assert.ok(failed.status === 'rejected' && failed.reason instanceof McpError && failed.reason.code === ErrorCode.InvalidParams);
  assert.deepEqual(results[3], { status: 'fulfilled', value: {} });
  assert.equal(text(results[4]!), 'two');
  assert.equal(results[5]!.status, 'fulfilled');
}

describe('client.batch() over Streamable HTTP', () => {
  let server: http.Server;
  let url: string;
  let mcp: StreamableHttpServer;
  /** POST bodies the server received: arrays are batches. */
  const posts: unknown[] = [];
  before(async () => {
    mcp = new StreamableHttpServer({ server: poolServer() });
    server = http.createServer((req, res) => {
      if (req.method !== 'POST') return void mcp.handle(req, res);
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        const parsed: unknown = JSON.parse(body);
        posts.push(parsed);
        void mcp.handle(req, res, parsed);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  });
  after(async () => {
    await mcp.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const connect = async (protocolVersion?: string) => {
    const c = new Client({ name: 'batch', version: '1.0.0' }, protocolVersion === undefined ? {} : { protocolVersion });
    await c.connect(new StreamableHttpClientTransport(url));
    return c;
  };

  it('sends one JSON-RPC batch in one POST on a 2025-03-26 session', async () => {
    const c = await connect('2025-03-26');
    assert.equal(c.protocolVersion, '2025-03-26');
    const before = posts.length;
    check(await c.batch(CALLS));
    const sent = posts.slice(before);
    assert.equal(sent.length, 1, 'one POST');
    assert.ok(Array.isArray(sent[0]) && sent[0].length === CALLS.length);
    await c.close();
  });

  it('passes each call through the client middlewares and still sends one POST', async () => {
    const c = await connect('2025-03-26');
    const seen: string[] = [];
    c.use(async (call, next) => {
      seen.push(call.method);
      call.params = { ...call.params, _meta: { tag: 'mw' } };
      return next();
    });
    const before = posts.length;
    check(await c.batch(CALLS));
    assert.equal(seen.length, CALLS.length);
    const sent = posts.slice(before) as { params?: { _meta?: unknown } }[][];
    assert.equal(sent.length, 1);
    assert.ok(sent[0]!.every((m) => (m.params?._meta as { tag?: string }).tag === 'mw'));
    await c.close();
  });

  it('falls back to pipelined POSTs on a later revision (no batches after 2025-03-26)', async () => {
    const c = await connect();
    assert.notEqual(c.protocolVersion, '2025-03-26');
    const before = posts.length;
    check(await c.batch(CALLS));
    const sent = posts.slice(before);
    assert.equal(sent.length, CALLS.length, 'one POST per call');
    assert.ok(sent.every((b) => !Array.isArray(b)));
    await c.close();
  });

  it('re-initializes once and resends the batch when the server forgot the session', async () => {
    const c = await connect('2025-03-26');
    const t = (c as unknown as { transport: StreamableHttpClientTransport }).transport;
    const lost = t.sessionId!;
    await new StreamableHttpClientTransport(url, { sessionId: lost }).terminateSession();
    check(await c.batch(CALLS));
    assert.notEqual(t.sessionId, lost);
    await c.close();
  });

  it('answers an empty batch with no results and sends nothing', async () => {
    const c = await connect('2025-03-26');
    const before = posts.length;
    assert.deepEqual(await c.batch([]), []);
    assert.equal(posts.length, before);
    await c.close();
  });
});

describe('client.batch() over stdio', () => {
  it('pipelines the calls to a child process and returns them in order', async () => {
    const c = new Client({ name: 'batch', version: '1.0.0' });
    await c.connect(new StdioClientTransport({ command: process.execPath, args: [FIXTURE], stderr: 'ignore' }));
    check(await c.batch(CALLS));
    await c.close();
  });
});
