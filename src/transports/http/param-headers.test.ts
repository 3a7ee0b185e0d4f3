/**
 * Mcp-Param-* on the server (2026-07-28 streamable-http §Server Behavior for Custom Headers):
 * each header a tool declares with `x-mcp-header` must match the argument it mirrors, after
 * Base64-sentinel decoding; otherwise -32020 HeaderMismatch with HTTP 400, and the server
 * keeps serving.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { META } from '../../protocol/eras.js';
import { McpServer } from '../../server/index.js';
import { StreamableHttpServer } from './server.js';

let http: StreamableHttpServer;
let server: McpServer;
let url: string;

const SCHEMA = {
  type: 'object' as const,
  properties: {
    region: { type: 'string', 'x-mcp-header': 'Region' },
    count: { type: 'integer', 'x-mcp-header': 'Count' },
    dry: { type: 'boolean', 'x-mcp-header': 'Dry-Run' },
    where: { type: 'object', properties: { zone: { type: 'string', 'x-mcp-header': 'Zone' } } },
    query: { type: 'string' },
  },
};

before(async () => {
  server = new McpServer({ name: 'params', version: '1' });
  server.tool('route', { inputSchema: SCHEMA }, (a) => ({ content: [{ type: 'text', text: JSON.stringify(a) }] }));
  server.tool('plain', { inputSchema: { type: 'object', properties: { region: { type: 'string' } } } }, () => ({ content: [{ type: 'text', text: 'plain' }] }));
  http = new StreamableHttpServer({ server });
  ({ url } = await http.listen(0));
});
after(async () => {
  await http.close();
  await server.close();
});

const b64 = (s: string) => `=?base64?${Buffer.from(s, 'utf8').toString('base64')}?=`;
let nextId = 1;

/** A 2026-07-28 tools/call over node:http (which, unlike fetch, sends any latin1 header byte). */
function call(name: string, args: Record<string, unknown>, params: Record<string, string> = {}): Promise<{ status: number; id: unknown; code: number | undefined; text: string | undefined }> {
  const id = nextId++;
  const body = JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args, _meta: { [META.protocolVersion]: '2026-07-28', [META.clientCapabilities]: {} } } });
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': name, 'content-length': String(Buffer.byteLength(body)), ...params };
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const m = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: unknown; error?: { code: number }; result?: { content: { text: string }[] } };
        assert.equal(m.id, id, 'the id is echoed');
        resolve({ status: res.statusCode ?? 0, id: m.id, code: m.error?.code, text: m.result?.content[0]?.text });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const ok = async (args: Record<string, unknown>, params: Record<string, string>, what: string) => {
  const r = await call('route', args, params);
  assert.equal(r.status, 200, what);
  assert.equal(r.code, undefined, what);
  assert.deepEqual(JSON.parse(r.text!), args, what);
};
const mismatch = async (args: Record<string, unknown>, params: Record<string, string>, what: string) => {
  const r = await call('route', args, params);
  assert.equal(r.status, 400, what);
  assert.equal(r.code, -32020, what);
};

describe('Mcp-Param-* headers, server side', () => {
  it('accepts headers that mirror the arguments (names case-insensitive, integers numerically)', async () => {
    await ok({ region: 'us-west1', count: 3, dry: false, where: { zone: 'b' }, query: 'q' }, { 'mcp-param-region': 'us-west1', 'Mcp-Param-COUNT': '3', 'mcp-param-dry-run': 'false', 'mcp-param-zone': 'b' }, 'all four');
    await ok({ count: 42 }, { 'mcp-param-count': '42.0' }, '42.0 names the integer 42');
    await ok({ count: -7 }, { 'mcp-param-count': '-7' }, 'negative');
    await ok({ region: '' }, { 'mcp-param-region': '' }, 'an empty string is an empty header');
  });

  it('expects no header for an argument that is absent or null', async () => {
    await ok({ query: 'only the body' }, {}, 'absent');
    await ok({ where: {} }, {}, 'a nested value absent');
    // null is not a string, so the tool refuses it in-band: the header check let it through.
    const n = await call('route', { region: null }, {});
    assert.equal(n.status, 200);
    assert.notEqual(n.code, -32020);
    // A tool without annotations: Mcp-Param-* headers are not its business.
    const r = await call('plain', { region: 'x' }, { 'mcp-param-region': 'something else' });
    assert.equal(r.status, 200);
  });

  it('a header missing while the body carries the value is -32020 / 400', async () => {
    await mismatch({ region: 'us-west1' }, {}, 'string');
    await mismatch({ dry: true }, {}, 'boolean');
    await mismatch({ where: { zone: 'b' } }, { 'mcp-param-region': 'x' }, 'nested, another header present');
  });

  it('a header whose value differs is -32020 / 400 (values are case-sensitive)', async () => {
    await mismatch({ region: 'us-west1' }, { 'mcp-param-region': 'us-east1' }, 'string');
    await mismatch({ region: 'us-west1' }, { 'mcp-param-region': 'US-WEST1' }, 'case');
    await mismatch({ dry: true }, { 'mcp-param-dry-run': 'True' }, 'boolean case');
    await mismatch({ count: 42 }, { 'mcp-param-count': '42.5' }, 'not the integer');
    await mismatch({ count: 42 }, { 'mcp-param-count': '0x2a' }, 'not decimal');
  });

  it('decodes Base64-sentinel values before comparing; a malformed sentinel or a raw non-ASCII byte is -32020', async () => {
    await ok({ region: 'Zürich' }, { 'mcp-param-region': b64('Zürich') }, 'non-ASCII, encoded');
    await ok({ region: ' padded ' }, { 'mcp-param-region': b64(' padded ') }, 'edge whitespace, encoded');
    await ok({ region: '=?base64?literal?=' }, { 'mcp-param-region': b64('=?base64?literal?=') }, 'a sentinel look-alike, encoded');
    await ok({ region: 'us-west1' }, { 'mcp-param-region': b64('us-west1') }, 'plain ASCII may be encoded too');
    await mismatch({ region: 'Zürich' }, { 'mcp-param-region': b64('Zurich') }, 'encoded, different');
    await mismatch({ region: 'x' }, { 'mcp-param-region': '=?base64?@@@@?=' }, 'not Base64');
    await mismatch({ region: 'Hello' }, { 'mcp-param-region': '=?base64?SGVsbG8?=' }, 'Base64 without its padding');
    await ok({ region: `=?base64?${Buffer.from('Hello').toString('base64')}` }, { 'mcp-param-region': `=?base64?${Buffer.from('Hello').toString('base64')}` }, 'no closing ?=: a literal');
    await mismatch({ region: 'x' }, { 'mcp-param-region': '=?base64?/w==?=' }, 'Base64 of a byte that is not UTF-8');
    await mismatch({ region: 'café' }, { 'mcp-param-region': 'caf\u00e9' }, 'a raw latin1 byte instead of the sentinel');
  });

  it('integers at the safe-integer limit are checked; past it nothing is mirrored, so nothing is expected', async () => {
    const max = Number.MAX_SAFE_INTEGER;
    await ok({ count: max }, { 'mcp-param-count': String(max) }, 'at the limit');
    await mismatch({ count: max }, { 'mcp-param-count': String(max - 1) }, 'at the limit, off by one');
    await mismatch({ count: max }, {}, 'at the limit, missing');
    await ok({ count: max + 1 }, {}, 'past the limit: no header expected');
  });

  it('keeps serving after rejections, and the legacy era is not checked (2025-11-25 has no Mcp-Param-*)', async () => {
    await ok({ region: 'eu' }, { 'mcp-param-region': 'eu' }, 'after the rejections above');
    const init = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
    });
    const sid = init.headers.get('mcp-session-id')!;
    await init.text();
    const h = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' };
    await (await fetch(url, { method: 'POST', headers: h, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) })).text();
    const r = await fetch(url, { method: 'POST', headers: { ...h, 'mcp-param-region': 'other' }, body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'route', arguments: { region: 'eu' } } }) });
    assert.equal(r.status, 200);
    assert.match(await r.text(), /\\"region\\":\\"eu\\"/);
  });
});
