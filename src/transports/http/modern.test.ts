/**
 * One Streamable HTTP endpoint, both eras: 2026-07-28 requests climb the ladder in the spec's
 * order with its statuses; legacy sessions keep working beside them.
 */
import assert from 'node:assert/strict';
import { streamReader } from '../../../test/helpers/sse-read.js';
import { after, before, describe, it } from 'node:test';
import { META } from '../../protocol/eras.js';
import { McpServer } from '../../server/index.js';
import { StreamableHttpServer } from './server.js';

let http: StreamableHttpServer;
let server: McpServer;
let url: string;
before(async () => {
  server = new McpServer({ name: 'dual', version: '1' });
  server.tool('echo', { inputSchema: { type: 'object', properties: { text: { type: 'string' } } } }, (a) => ({ content: [{ type: 'text', text: String(a.text) }] }));
  server.tool('ask', {}, async (_a, ctx) => {
    const r = await ctx.sample({ messages: [{ role: 'user', content: { type: 'text', text: 'x' } }], maxTokens: 5 });
    return { content: [{ type: 'text', text: JSON.stringify(r.content) }] };
  });
  http = new StreamableHttpServer({ server });
  ({ url } = await http.listen(0));
});
after(async () => {
  await http.close();
  await server.close();
});

const meta = (v = '2026-07-28', caps: Record<string, unknown> = {}) => ({ [META.protocolVersion]: v, [META.clientCapabilities]: caps });

async function post(body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: { id?: unknown; result?: Record<string, unknown>; error?: { code: number; data?: unknown } } }> {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body: JSON.stringify(body) });
  const text = await r.text();
  const json = r.headers.get('content-type')?.includes('event-stream') ? JSON.parse(/^data: (\{.*"id".*\})$/m.exec(text)![1]!) : JSON.parse(text);
  return { status: r.status, json };
}

const std = (method: string, name?: string) => ({ 'mcp-protocol-version': '2026-07-28', 'mcp-method': method, ...(name === undefined ? {} : { 'mcp-name': name }) });

describe('2026-07-28 over Streamable HTTP: the ladder', () => {
  it('serves a well-formed request with resultType and no session id', async () => {
    const r = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...std('tools/call', 'echo') },
      body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'echo', arguments: { text: 'hi' }, _meta: meta() } }),
    });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('mcp-session-id'), null);
    const body = (await r.json()) as { result: { resultType: string; content: unknown } };
    assert.equal(body.result.resultType, 'complete');
  });

  it('answers each rung with its status and code, echoing the id', async () => {
    const cases: [string, unknown, Record<string, string>, number, number][] = [
      ['envelope without capabilities', { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: { [META.protocolVersion]: '2026-07-28' } } }, std('tools/list'), 400, -32602],
      ['header vs body version', { jsonrpc: '2.0', id: 2, method: 'tools/list', params: { _meta: meta('v999.0.0') } }, std('tools/list'), 400, -32020],
      ['unsupported version', { jsonrpc: '2.0', id: 3, method: 'tools/list', params: { _meta: meta('v999.0.0') } }, { ...std('tools/list'), 'mcp-protocol-version': 'v999.0.0' }, 400, -32022],
      ['missing Mcp-Method', { jsonrpc: '2.0', id: 4, method: 'tools/list', params: { _meta: meta() } }, { 'mcp-protocol-version': '2026-07-28' }, 400, -32020],
      ['Mcp-Name mismatch', { jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'echo', _meta: meta() } }, std('tools/call', 'other'), 400, -32020],
      ['removed method', { jsonrpc: '2.0', id: 6, method: 'ping', params: { _meta: meta() } }, std('ping'), 404, -32601],
      ['modern header without a claim', { jsonrpc: '2.0', id: 7, method: 'tools/list', params: {} }, std('tools/list'), 400, -32602],
      ['missing capability found by the handler', { jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 'ask', _meta: meta() } }, std('tools/call', 'ask'), 400, -32021],
    ];
    for (const [what, body, headers, status, code] of cases) {
      const r = await post(body, headers);
      assert.equal(r.status, status, what);
      assert.equal(r.json.error?.code, code, what);
      assert.equal(r.json.id, (body as { id: number }).id, `${what}: id echoed`);
    }
    const v = await post(cases[2]![1], cases[2]![2]);
    assert.deepEqual(v.json.error?.data, { supported: ['2026-07-28'], requested: 'v999.0.0' });
  });

  it('a Base64-sentinel Mcp-Name is decoded before comparing', async () => {
    const name = 'echo';
    const r = await post({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name, arguments: { text: 'x' }, _meta: meta() } }, std('tools/call', `=?base64?${Buffer.from(name).toString('base64')}?=`));
    assert.equal(r.status, 200);
  });

  it('a legacy session works on the same endpoint meanwhile', async () => {
    const init = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'l', version: '1' } } }),
    });
    assert.equal(init.status, 200);
    assert.ok(init.headers.get('mcp-session-id'));
    await init.text();
  });
});

describe('2026-07-28 subscriptions/listen over HTTP', () => {
  it('streams the acknowledgement and changes; closing the stream cancels the listen (no listener left behind)', async () => {
    const ac = new AbortController();
    const r = await fetch(url, {
      signal: ac.signal,
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...std('subscriptions/listen') },
      body: JSON.stringify({ jsonrpc: '2.0', id: 'L', method: 'subscriptions/listen', params: { _meta: meta(), notifications: { toolsListChanged: true } } }),
    });
    assert.equal(r.headers.get('content-type'), 'text/event-stream');
    const stream = streamReader(r.body!);
    const readUntil = (needle: string) => stream.readUntil(needle);
    await readUntil('notifications/subscriptions/acknowledged');
    const added = server.tool('added', {}, () => ({ content: [] }));
    await readUntil('notifications/tools/list_changed');
    assert.match(stream.text, /"io.modelcontextprotocol\/subscriptionId":"L"/);
    const sessionsBefore = server.sessionCount;
    ac.abort();
    // The session of the listen closes once the server sees the stream closed.
    for (let i = 0; i < 3000 && server.sessionCount >= sessionsBefore; i++) await new Promise((res) => setTimeout(res, 5));
    assert.ok(server.sessionCount < sessionsBefore, 'the listen ended with its stream');
    added.remove();
  });
});
