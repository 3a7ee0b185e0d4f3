/**
 * Issue 9, item 7 (graceful drain), through `erlmcp start`: on SIGTERM `/ready` turns 503, a new
 * session is refused with 503 + Retry-After, the standalone SSE stream ends with a `retry` hint,
 * the call in flight completes, and the process exits 0. A call still running when
 * `--drain-timeout` runs out is answered with an error instead of being cut.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, describe, it } from 'node:test';
import { Client } from '../../src/client/index.js';
import { McpError } from '../../src/protocol/errors.js';
import { StreamableHttpClientTransport } from '../../src/transports/http/index.js';
import { startCli, type CliProcess } from './cli-process.js';

const INIT = { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };
const clients: Client[] = [];
const processes: CliProcess[] = [];
after(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => {})));
  for (const p of processes) p.kill();
});

/** One POST on its own connection. */
async function post(url: string, body: unknown, sessionId?: string): Promise<{ status: number; headers: Headers; text: string }> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25', connection: 'close' };
  if (sessionId) headers['mcp-session-id'] = sessionId;
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** Opens the standalone GET stream of a session; `ended` resolves with everything it carried once it ends. */
function openStream(url: string, sessionId: string): Promise<{ ended: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', agent: false, headers: { accept: 'text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`GET stream: HTTP ${res.statusCode}`));
      let text = '';
      res.setEncoding('utf8');
      const ended = new Promise<string>((done) => {
        res.on('data', (c: string) => (text += c));
        // Either a clean end or a closed connection ends it; both are "closed with a retry hint" if it came first.
        res.on('close', () => done(text));
      });
      res.on('error', () => {});
      resolve({ ended });
    });
    req.on('error', reject);
    req.end();
  });
}

async function connect(url: string): Promise<Client> {
  const client = new Client({ name: 'drain-test', version: '1' });
  clients.push(client);
  await client.connect(new StreamableHttpClientTransport(url));
  return client;
}

describe('graceful drain on SIGTERM', { concurrency: false, timeout: 300_000 }, () => {
  it('turns /ready 503, refuses new sessions with 503 + Retry-After, closes SSE streams with a retry hint, lets the call in flight finish, exits 0', async () => {
    const p = await startCli([]);
    processes.push(p);
    const client = await connect(p.url);
    const raw = await post(p.url, INIT);
    const sid = raw.headers.get('mcp-session-id')!;
    assert.equal((await post(p.url, { jsonrpc: '2.0', method: 'notifications/initialized' }, sid)).status, 202);
    const stream = await openStream(p.url, sid);
    assert.equal((await fetch(`${p.origin}/ready`)).status, 200);

    const slow = client.callTool({ name: 'slow', arguments: { key: 'k1' } });
    await p.waitForLine(/fixture: slow k1 started/);
    const mark = p.lineCount();
    p.child.kill('SIGTERM');
    await p.waitForLine(/draining \(grace 10000 ms, shutdown\)/, mark);

    const ready = await fetch(`${p.origin}/ready`, { headers: { connection: 'close' } });
    assert.equal(ready.status, 503);
    assert.match(((await ready.json()) as { error: string }).error, /draining/);
    const refused = await post(p.url, INIT);
    assert.equal(refused.status, 503);
    assert.ok(Number(refused.headers.get('retry-after')) >= 1, 'Retry-After is given');
    assert.match(refused.text, /shutting down/);

    const carried = await stream.ended;
    assert.match(carried, /\nretry: \d+\n/, `the stream ended with a retry hint: ${JSON.stringify(carried)}`);

    // The session in flight is still served: its own next call, then the slow one finishing.
    assert.equal(((await client.callTool({ name: 'release', arguments: { key: 'k1' } })).content[0] as { text: string }).text, 'released');
    assert.equal(((await slow).content[0] as { text: string }).text, 'released k1');
    assert.deepEqual(await p.exited, { code: 0, signal: null });
  });

  it('answers a call still running when --drain-timeout runs out with a clear error, then exits 0', async () => {
    const p = await startCli(['--drain-timeout', '300']);
    processes.push(p);
    const client = await connect(p.url);
    const slow = client.callTool({ name: 'slow', arguments: { key: 'never' } });
    await p.waitForLine(/fixture: slow never started/);
    p.child.kill('SIGTERM');
    await assert.rejects(slow, (e: unknown) => e instanceof McpError && e.code === -32603 && /shutting down.*retry/.test(e.message));
    assert.deepEqual(await p.exited, { code: 0, signal: null });
  });
});
