/**
 * drain() of the three node:http servers, in process: Streamable HTTP in handover mode (stops
 * accepting at once, `Connection: close` on open keep-alive connections, done once they ended),
 * the legacy SSE server and the WebSocket server (new sessions refused, calls in flight finish,
 * or are answered -32603 once the grace period is over).
 */
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { after, describe, it } from 'node:test';
import { createServer as createFixture } from '../../../test/runtime/fixture-server.js';
import { Client } from '../../client/index.js';
import { McpError } from '../../protocol/errors.js';
import { StreamableHttpServer, DRAIN_EXPIRED_MESSAGE } from '../http/index.js';
import { LegacySseClientTransport, LegacySseServer } from '../sse-legacy/index.js';
import { McpWebSocketServer, WebSocketClientTransport } from '../ws/index.js';

const INIT = { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function post(url: string, body: unknown, agent: Agent | false, sessionId?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' };
    if (sessionId) headers['mcp-session-id'] = sessionId;
    const req = request(url, { method: 'POST', headers, agent }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** A POST whose promise resolves at the response headers (the call is then running), with its body to come. */
function postStreaming(url: string, body: unknown, agent: Agent, sessionId: string): Promise<{ headers: Reply['headers']; body: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25', 'mcp-session-id': sessionId };
    const req = request(url, { method: 'POST', headers, agent }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c));
      resolve({ headers: res.headers, body: new Promise((done) => res.on('end', () => done(text))) });
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

const call = (id: number, name: string, args: Record<string, unknown>) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });
const closers: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c().catch(() => {});
});

describe('StreamableHttpServer.drain', { timeout: 120_000 }, () => {
  it('handover: stops accepting, tells open keep-alive connections Connection: close, lets the call finish, resolves once they ended', async () => {
    const http = new StreamableHttpServer({ server: createFixture() });
    const { url } = await http.listen(0, '127.0.0.1');
    closers.push(() => http.close());
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    closers.push(async () => agent.destroy());
    const init = await post(url, INIT, agent);
    assert.equal(init.headers.connection, 'keep-alive');
    const sid = init.headers['mcp-session-id'] as string;
    // Two keep-alive connections: one will carry the slow call, the other a request during the drain.
    const [initialized, ping] = await Promise.all([post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, agent, sid), post(url, { jsonrpc: '2.0', id: 9, method: 'ping' }, agent, sid)]);
    assert.equal(initialized.status, 202);
    assert.equal(ping.status, 200);
    const slow = await postStreaming(url, call(1, 'slow', { key: 'h' }), agent, sid);
    assert.equal(slow.headers.connection, 'keep-alive');

    let drained = false;
    const drain = http.drain(20_000, { handover: true }).then(() => (drained = true));
    assert.deepEqual(await http.ready(), { ready: false, node: http.nodeId, error: 'draining: this server is shutting down' });
    await assert.rejects(post(url, INIT, false), /ECONNREFUSED/, 'no new connection is accepted');
    // An open keep-alive connection is still served, and told to go away.
    const release = await post(url, call(2, 'release', { key: 'h' }), agent, sid);
    assert.equal(release.status, 200);
    assert.equal(release.headers.connection, 'close');
    assert.match(await slow.body, /released h/);
    assert.equal(drained, false, 'the idle keep-alive connection of the slow call is still open');
    agent.destroy(); // the client closes its idle connections: the drain is over
    await drain;
  });
});

describe('LegacySseServer.drain', { timeout: 120_000 }, () => {
  it('refuses a new session with 503 + Retry-After, serves the open one until its call finished, then ends its stream', async () => {
    const legacy = new LegacySseServer({ server: createFixture() });
    const { url } = await legacy.listen(0, '127.0.0.1');
    closers.push(() => legacy.close());
    const client = new Client({ name: 'legacy', version: '1' });
    const transport = new LegacySseClientTransport(url);
    closers.push(() => client.close());
    await client.connect(transport);
    const closed = new Promise<void>((resolve) => (client.onclose = resolve));
    const slow = client.callTool({ name: 'slow', arguments: { key: 'l' } });
    await client.callTool({ name: 'echo', arguments: { text: 'warm' } });
    const drain = legacy.drain(20_000);
    const refused = await fetch(url, { headers: { accept: 'text/event-stream' } });
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '1');
    assert.equal(((await client.callTool({ name: 'release', arguments: { key: 'l' } })).content[0] as { text: string }).text, 'released');
    assert.equal(((await slow).content[0] as { text: string }).text, 'released l');
    await drain;
    await closed;
  });

  it('answers a call still running at the end of the grace period with -32603', async () => {
    const legacy = new LegacySseServer({ server: createFixture() });
    const { url } = await legacy.listen(0, '127.0.0.1');
    closers.push(() => legacy.close());
    const client = new Client({ name: 'legacy', version: '1' });
    closers.push(() => client.close());
    await client.connect(new LegacySseClientTransport(url));
    const slow = client.callTool({ name: 'slow', arguments: { key: 'never' } });
    await client.callTool({ name: 'echo', arguments: { text: 'the slow call is running' } });
    const answered = assert.rejects(slow, (e: unknown) => e instanceof McpError && e.code === -32603 && e.message.includes(DRAIN_EXPIRED_MESSAGE));
    await legacy.drain(50);
    await answered;
  });
});

describe('McpWebSocketServer.drain', { timeout: 120_000 }, () => {
  it('handover: refuses new upgrades (503), lets the call in flight finish, then closes with 1012', async () => {
    const wss = new McpWebSocketServer({ server: createFixture() });
    const { url } = await wss.listen(0, '127.0.0.1');
    closers.push(() => wss.close());
    const transport = new WebSocketClientTransport(url);
    const client = new Client({ name: 'ws', version: '1' });
    closers.push(() => client.close());
    await client.connect(transport);
    const closed = new Promise<void>((resolve) => (client.onclose = resolve));
    const slow = client.callTool({ name: 'slow', arguments: { key: 'w' } });
    await client.callTool({ name: 'echo', arguments: { text: 'warm' } });
    const drain = wss.drain(20_000, { handover: true });
    await assert.rejects(new Client({ name: 'late', version: '1' }).connect(new WebSocketClientTransport(url)), 'a new connection is refused');
    assert.equal(((await client.callTool({ name: 'release', arguments: { key: 'w' } })).content[0] as { text: string }).text, 'released');
    assert.equal(((await slow).content[0] as { text: string }).text, 'released w');
    await drain;
    await closed;
    assert.equal(transport.closeCode, 1012);
  });

  it('answers a call still running at the end of the grace period with -32603', async () => {
    const wss = new McpWebSocketServer({ server: createFixture() });
    const { url } = await wss.listen(0, '127.0.0.1');
    closers.push(() => wss.close());
    const client = new Client({ name: 'ws', version: '1' });
    closers.push(() => client.close());
    await client.connect(new WebSocketClientTransport(url));
    const slow = client.callTool({ name: 'slow', arguments: { key: 'never' } });
    await client.callTool({ name: 'echo', arguments: { text: 'the slow call is running' } });
    const answered = assert.rejects(slow, (e: unknown) => e instanceof McpError && e.code === -32603 && e.message.includes(DRAIN_EXPIRED_MESSAGE));
    await wss.drain(50);
    await answered;
  });
});
