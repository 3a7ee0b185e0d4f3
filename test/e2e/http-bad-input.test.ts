/**
 * Bad input over Streamable HTTP against the everything server: each gets the spec-correct
 * status and JSON-RPC error, and the same session keeps serving.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createEverythingServer } from '../../examples/everything/server.js';
import { StreamableHttpServer } from '../../src/transports/http/index.js';

const LIMIT = 16 * 1024 * 1024;

describe('Streamable HTTP server under bad input', () => {
  let http: StreamableHttpServer;
  let url: string;
  let session: string;
  let nextId = 100;

  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25', ...headers },
      body,
    });

  /** Reads a JSON or single-response SSE body into the JSON-RPC message it carries. */
  async function message(res: Response): Promise<Record<string, unknown>> {
    const text = await res.text();
    if (!(res.headers.get('content-type') ?? '').includes('text/event-stream')) return JSON.parse(text) as Record<string, unknown>;
    const data = text
      .split('\n')
      .filter((l) => l.startsWith('data: ') && l.length > 6)
      .map((l) => JSON.parse(l.slice(6)) as Record<string, unknown>);
    const last = data.find((m) => 'result' in m || 'error' in m);
    assert.ok(last, `no response in ${text}`);
    return last;
  }

  const stillServing = async () => {
    const id = nextId++;
    const res = await post(JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { text: `ok ${id}` } } }));
    assert.equal(res.status, 200);
    const m = await message(res);
    assert.deepEqual((m.result as { content: unknown[] }).content, [{ type: 'text', text: `ok ${id}` }]);
  };

  before(async () => {
    http = new StreamableHttpServer({ server: createEverythingServer() });
    ({ url } = await http.listen(0, '127.0.0.1'));
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
    });
    session = res.headers.get('mcp-session-id') ?? '';
    assert.ok(session.length >= 22, 'session id of at least 128 bits');
    await res.text();
    const ack = await post(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
    assert.equal(ack.status, 202);
  });
  after(() => http.close());

  test('malformed JSON → 400 with -32700', async () => {
    const res = await post('{"jsonrpc":"2.0","id":5,');
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { error: { code: number } }).error.code, -32700);
    await stillServing();
  });

  test('invalid JSON-RPC → 400 with -32600', async () => {
    const res = await post(JSON.stringify({ jsonrpc: '1.0', id: 6, method: 'ping' }));
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { error: { code: number } }).error.code, -32600);
    await stillServing();
  });

  test('unknown method → -32601', async () => {
    const m = await message(await post(JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/explode' })));
    assert.equal((m.error as { code: number }).code, -32601);
    await stillServing();
  });

  test('wrong params → -32602', async () => {
    const m = await message(await post(JSON.stringify({ jsonrpc: '2.0', id: 8, method: 'prompts/get', params: { nom: 'x' } })));
    assert.equal((m.error as { code: number }).code, -32602);
    await stillServing();
  });

  test('a 16 MiB + 1 body → 413, and exactly 16 MiB is accepted', async () => {
    const head = JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'echo', arguments: { text: '' } } });
    const over = head.replace('"text":""', `"text":"${'x'.repeat(LIMIT + 1 - Buffer.byteLength(head))}"`);
    assert.equal(Buffer.byteLength(over), LIMIT + 1);
    const res = await post(over);
    assert.equal(res.status, 413);
    await res.body?.cancel();
    await stillServing();
    const at = head.replace('"text":""', `"text":"${'y'.repeat(LIMIT - Buffer.byteLength(head))}"`);
    const ok = await post(at);
    assert.equal(ok.status, 200);
    const m = await message(ok);
    assert.equal(((m.result as { content: { text: string }[] }).content[0]?.text ?? '').length, LIMIT - Buffer.byteLength(head));
  });

  test('an unknown session → 404; a missing session header → 400', async () => {
    const unknown = await post(JSON.stringify({ jsonrpc: '2.0', id: 10, method: 'ping' }), { 'mcp-session-id': 'no-such-session' });
    assert.equal(unknown.status, 404);
    await unknown.body?.cancel();
    const missing = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 11, method: 'ping' }),
    });
    assert.equal(missing.status, 400);
    await missing.body?.cancel();
    await stillServing();
  });

  test('wrong content type → 415, bad Accept → 406, unsupported protocol version → 400', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 12, method: 'ping' });
    for (const [headers, status] of [
      [{ 'content-type': 'text/plain' }, 415],
      [{ accept: 'text/html' }, 406],
      [{ 'mcp-protocol-version': '1999-01-01' }, 400],
    ] as const) {
      const res = await post(body, headers);
      assert.equal(res.status, status, JSON.stringify(headers));
      await res.body?.cancel();
    }
    await stillServing();
  });

  test('Host evil.example.com → 403 (DNS rebinding protection is on for localhost)', async () => {
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(url, { method: 'POST', headers: { host: 'evil.example.com', 'content-type': 'application/json', accept: 'application/json, text/event-stream' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(JSON.stringify({ jsonrpc: '2.0', id: 13, method: 'ping' }));
    });
    assert.equal(status, 403);
    await stillServing();
  });
});
