/**
 * Streamable HTTP protection on the seam: admission hooks, Origin/Host on every bind, the
 * negotiated-version check, the session cap, the connection cap, and results that cannot be
 * encoded. Each reproduces a finding of issue 9 that the server used to get wrong.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { McpServer } from '../../server/index.js';
import { StreamableHttpServer, type StreamableHttpServerOptions } from './server.js';

const started: StreamableHttpServer[] = [];
after(async () => {
  await Promise.all(started.map((s) => s.close()));
});

function makeServer(): McpServer {
  const server = new McpServer({ name: 'protect', version: '1.0.0' });
  server.tool('whoami', {}, (_a, ctx) => ({ content: [{ type: 'text', text: JSON.stringify(ctx.authInfo ?? null) }] }));
  server.tool('cyclic', {}, () => {
    const o: Record<string, unknown> = { a: 1 };
    o.self = o;
    return { content: [], structuredContent: o };
  });
  server.tool('bigint', {}, () => ({ content: [], structuredContent: { n: 10n } as never }));
  return server;
}

async function start(options: Partial<StreamableHttpServerOptions> = {}, host = '127.0.0.1', server = makeServer()): Promise<{ url: string; port: number; http: StreamableHttpServer; server: McpServer }> {
  const http = new StreamableHttpServer({ server, enableJsonResponse: true, ...options });
  started.push(http);
  const { url, port } = await http.listen(0, host);
  return { url: url.replace('0.0.0.0', '127.0.0.1'), port, http, server };
}

const H = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const initBody = (id = 1) => JSON.stringify({ jsonrpc: '2.0', id, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } });

async function initialize(url: string, headers: Record<string, string> = {}): Promise<string> {
  const r = await fetch(url, { method: 'POST', headers: { ...H, ...headers }, body: initBody() });
  assert.equal(r.status, 200, await r.clone().text());
  const sid = r.headers.get('mcp-session-id');
  assert.ok(sid);
  await r.text();
  await fetch(url, { method: 'POST', headers: { ...H, ...headers, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' }, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
  return sid;
}

async function call(url: string, sid: string, name: string, headers: Record<string, string> = {}): Promise<{ status: number; body: { result?: Record<string, unknown>; error?: { code: number; message: string; data?: unknown } } }> {
  const r = await fetch(url, {
    method: 'POST',
    headers: { ...H, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25', ...headers },
    body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name, arguments: {} } }),
  });
  return { status: r.status, body: (await r.json()) as never };
}

describe('admission hooks on Streamable HTTP', () => {
  it('refuse with the hook status and headers before any session lookup; an identity reaches ctx.authInfo', async () => {
    const server = makeServer();
    const seen: (string | undefined)[] = [];
    server.admit((req) => {
      seen.push(req.sessionId);
      const auth = req.headers.authorization;
      if (auth !== 'Bearer good') return { refuse: { status: 401, message: 'Unauthorized: a bearer token is required', headers: { 'www-authenticate': 'Bearer resource_metadata="http://x/.well-known/oauth-protected-resource"' } } };
      return { identity: { subject: 'alice', scopes: ['tools'], method: 'test' } };
    });
    const { url } = await start({}, '127.0.0.1', server);
    const refused = await fetch(url, { method: 'POST', headers: H, body: initBody() });
    assert.equal(refused.status, 401);
    assert.match(refused.headers.get('www-authenticate') ?? '', /resource_metadata=/);
    assert.deepEqual(await refused.json(), { jsonrpc: '2.0', id: null, error: { code: -32000, message: 'Unauthorized: a bearer token is required' } });
    // An unknown session id is still refused 401 (not 404): the hook runs before the lookup.
    const unknown = await fetch(url, { method: 'POST', headers: { ...H, 'mcp-session-id': 'nope' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }) });
    assert.equal(unknown.status, 401);
    const sid = await initialize(url, { authorization: 'Bearer good' });
    const r = await call(url, sid, 'whoami', { authorization: 'Bearer good' });
    assert.deepEqual(JSON.parse((r.body.result!.content as { text: string }[])[0]!.text), { subject: 'alice', scopes: ['tools'], method: 'test' });
    assert.ok(seen.includes(sid));
  });

  it('an async hook that throws answers 500 and the server keeps serving', async () => {
    const server = makeServer();
    let fail = true;
    server.admit(async () => {
      if (fail) throw new Error('hook exploded');
      return undefined;
    });
    const { url } = await start({}, '127.0.0.1', server);
    const r = await fetch(url, { method: 'POST', headers: H, body: initBody() });
    assert.equal(r.status, 500);
    fail = false;
    await initialize(url);
  });
});

describe('Origin and Host on every bind', () => {
  it('on 0.0.0.0 a foreign Origin gets 403 (it used to initialize and call tools); no Origin passes', async () => {
    const { url } = await start({}, '0.0.0.0');
    const evil = await fetch(url, { method: 'POST', headers: { ...H, origin: 'http://rebind.evil.example' }, body: initBody() });
    assert.equal(evil.status, 403);
    assert.match(await evil.text(), /invalid Origin/);
    const loopbackOrigin = await fetch(url, { method: 'POST', headers: { ...H, origin: 'http://localhost:3000' }, body: initBody() });
    assert.equal(loopbackOrigin.status, 403, 'a non-loopback bind allows no origin by default');
    await initialize(url);
  });

  it('allowedOrigins opens the listed origins on any bind, and allowedHosts restricts Host', async () => {
    const { url, port } = await start({ allowedOrigins: ['https://app.example'], allowedHosts: ['127.0.0.1'] }, '0.0.0.0');
    const ok = await fetch(url, { method: 'POST', headers: { ...H, origin: 'https://app.example' }, body: initBody() });
    assert.equal(ok.status, 200);
    const other = await fetch(url, { method: 'POST', headers: { ...H, origin: 'https://other.example' }, body: initBody() });
    assert.equal(other.status, 403);
    const badHost = await rawPost(port, 'rebind.evil.example', initBody());
    assert.match(badHost, /^HTTP\/1.1 403/);
    assert.match(badHost, /invalid Host/);
  });

  it('on loopback a rebound Host gets 403 and loopback origins pass', async () => {
    const { url, port } = await start();
    assert.match(await rawPost(port, 'rebind.evil.example', initBody()), /^HTTP\/1.1 403/);
    const ok = await fetch(url, { method: 'POST', headers: { ...H, origin: `http://127.0.0.1:${port}` }, body: initBody() });
    assert.equal(ok.status, 200);
  });
});

/** A POST with a Host header of our choosing (fetch does not allow setting Host). */
function rawPost(port: number, host: string, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => {
      s.write(`POST /mcp HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    });
    let out = '';
    s.on('data', (d) => (out += d.toString()));
    s.on('end', () => resolve(out));
    s.on('error', reject);
  });
}

describe('MCP-Protocol-Version against the negotiated version', () => {
  it('a 2025-11-25 session refuses a request claiming 2024-11-05 with 400 (it used to answer 200)', async () => {
    const { url } = await start();
    const sid = await initialize(url);
    const r = await call(url, sid, 'whoami', { 'mcp-protocol-version': '2024-11-05' });
    assert.equal(r.status, 400);
    assert.match(r.body.error!.message, /does not match this session's negotiated version 2025-11-25/);
    assert.equal((await call(url, sid, 'whoami')).status, 200);
  });

  it("'supported' mode accepts any supported version", async () => {
    const { url } = await start({ protocolVersionHeader: 'supported' });
    const sid = await initialize(url);
    assert.equal((await call(url, sid, 'whoami', { 'mcp-protocol-version': '2025-03-26' })).status, 200);
  });
});

describe('session cap', () => {
  it('accepts sessions up to maxSessions, answers one more 503 + Retry-After, and existing sessions keep working', async () => {
    const server = new McpServer({ name: 'cap', version: '1' }, { limits: { maxSessions: 3 } });
    server.tool('whoami', {}, () => ({ content: [] }));
    const { url } = await start({}, '127.0.0.1', server);
    const sids = [await initialize(url), await initialize(url), await initialize(url)];
    const refused = await fetch(url, { method: 'POST', headers: H, body: initBody() });
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '5');
    const body = (await refused.json()) as { error: { message: string } };
    assert.match(body.error.message, /maximum of 3 sessions/);
    for (const sid of sids) assert.equal((await call(url, sid, 'whoami')).status, 200);
    // One ends: a new one fits again.
    const del = await fetch(url, { method: 'DELETE', headers: { 'mcp-session-id': sids[0]! } });
    assert.equal(del.status, 204);
    await initialize(url);
  });
});

describe('results that cannot be encoded', () => {
  it('a cyclic or BigInt structuredContent is answered -32603 naming the problem (it used to leave the request unanswered)', async () => {
    for (const json of [true, false]) {
      const { url } = await start({ enableJsonResponse: json });
      const sid = await initialize(url);
      for (const [tool, why] of [
        ['cyclic', /circular/i],
        ['bigint', /BigInt/],
      ] as const) {
        const r = await fetch(url, {
          method: 'POST',
          headers: { ...H, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' },
          body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: tool } }),
        });
        const text = await r.text();
        const payload = json ? text : (/^data: (\{.*\})$/m.exec(text)?.[1] ?? '');
        const msg = JSON.parse(payload) as { id: number; error?: { code: number; message: string } };
        assert.equal(msg.id, 9);
        assert.equal(msg.error?.code, -32603, text);
        assert.match(msg.error!.message, why);
      }
      if (json) assert.equal((await call(url, sid, 'whoami')).status, 200);
    }
  });
});

describe('connection cap', () => {
  it('at maxConnections the longest-idle socket is closed to admit a real client', async () => {
    const { url, port } = await start({ maxConnections: 5 });
    const idle: Socket[] = [];
    const closed: Promise<void>[] = [];
    for (let i = 0; i < 5; i++) {
      const s = await new Promise<Socket>((resolve) => {
        const c = connect(port, '127.0.0.1', () => resolve(c));
      });
      closed.push(new Promise((r) => s.once('close', () => r())));
      s.on('error', () => {});
      idle.push(s);
    }
    // The server has seen all five (a request on a sixth proves it is accepting).
    const sid = await initialize(url);
    // The oldest idle socket was the one evicted for that request's connection.
    await closed[0];
    assert.equal((await call(url, sid, 'whoami')).status, 200);
    for (const s of idle) s.destroy();
  });
});
