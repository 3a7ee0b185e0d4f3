import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { deleteKeys, requireRedis, testPrefix, REDIS_URL } from '../../test/scale-out/helpers.js';
import { ErlmcpError } from '../protocol/errors.js';
import { banner, checkStartOptions, exitOnSignals, startServer, type RunningServer } from './start.js';

const INIT = { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } };

/** POST one message; returns the status, session id and the JSON-RPC messages (JSON or SSE body). */
async function post(url: string, body: unknown, sessionId?: string): Promise<{ status: number; sessionId: string | null; messages: { id?: unknown; result?: Record<string, unknown> }[] }> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' };
  if (sessionId) headers['mcp-session-id'] = sessionId;
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await res.text();
  const messages = res.headers.get('content-type')?.startsWith('application/json')
    ? [JSON.parse(text)]
    : text
        .split('\n')
        .filter((l) => l.startsWith('data: ') && l.length > 6)
        .map((l) => JSON.parse(l.slice(6)));
  return { status: res.status, sessionId: res.headers.get('mcp-session-id'), messages };
}

async function initialize(url: string): Promise<string> {
  const r = await post(url, INIT);
  assert.equal(r.status, 200);
  assert.ok(r.sessionId);
  assert.equal((await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, r.sessionId)).status, 202);
  return r.sessionId;
}

describe('startServer', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'erlmcp-cli-'));
  const running: RunningServer[] = [];
  after(async () => {
    await Promise.all(running.map((r) => r.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the everything example by default, with /health and /ready, and frees the port on close', async () => {
    const r = await startServer({ port: 0, host: '127.0.0.1' }, () => {});
    assert.ok(r.port > 0);
    assert.equal(r.url, `http://127.0.0.1:${r.port}/mcp`);
    const init = await post(r.url, INIT);
    assert.equal((init.messages[0]?.result?.serverInfo as { name: string }).name, 'erlmcp-everything');
    assert.equal((await fetch(r.healthUrl!)).status, 200);
    assert.equal((await fetch(r.readyUrl!)).status, 200);
    await r.close();
    await assert.rejects(fetch(r.healthUrl!), 'nothing listens after close');
  });

  it('serves a module whose default export is an McpServer, answering in JSON with --json', async () => {
    const file = join(dir, 'instance.mjs');
    writeFileSync(
      file,
      `import { McpServer } from ${JSON.stringify(new URL('../server/index.js', import.meta.url).href)};
const s = new McpServer({ name: 'from-module', version: '1' });
s.tool('hello', { description: 'Says hello.' }, () => ({ content: [{ type: 'text', text: 'hello' }] }));
export default s;`,
    );
    const r = await startServer({ port: 0, host: '127.0.0.1', module: file, json: true }, () => {});
    running.push(r);
    const sid = await initialize(r.url);
    const list = await post(r.url, { jsonrpc: '2.0', id: 1, method: 'tools/list' }, sid);
    assert.deepEqual((list.messages[0]?.result?.tools as { name: string }[]).map((t) => t.name), ['hello']);
  });

  it('rejects a module exporting no server as a usage error', async () => {
    const file = join(dir, 'empty.mjs');
    writeFileSync(file, 'export const nothing = 1;\n');
    await assert.rejects(startServer({ port: 0, host: '127.0.0.1', module: file }, () => {}), (e: unknown) => e instanceof ErlmcpError && e.code === 'ERR_INVALID_ARGUMENT' && /exports neither createServer\(\)/.test(e.message));
    await assert.rejects(startServer({ port: 0, host: '127.0.0.1', module: join(dir, 'missing.mjs') }, () => {}), /no such file/);
  });

  it('refuses more than one cluster worker without Redis', async () => {
    assert.match(checkStartOptions({ port: 0, host: '127.0.0.1', cluster: 2 }) ?? '', /--cluster 2 needs --redis/);
    assert.equal(checkStartOptions({ port: 0, host: '127.0.0.1', cluster: 1 }), undefined);
    assert.equal(checkStartOptions({ port: 0, host: '127.0.0.1', cluster: 3, redis: REDIS_URL }), undefined);
    assert.equal(checkStartOptions({ port: 0, host: '127.0.0.1', cluster: 1, json: true }), undefined, 'workers serve JSON responses too');
    await assert.rejects(startServer({ port: 0, host: '127.0.0.1', cluster: 2 }), (e: unknown) => e instanceof ErlmcpError && e.code === 'ERR_INVALID_ARGUMENT');
  });

  it('prints the endpoint and probes, never the Redis password', () => {
    const lines = banner({ port: 0, host: '127.0.0.1', redis: 'redis://user:s3cret@db:6379' }, { url: 'http://127.0.0.1:1/mcp', healthUrl: 'http://127.0.0.1:1/health', readyUrl: 'http://127.0.0.1:1/ready', port: 1, workerPids: () => [], close: async () => {} });
    const text = lines.join('\n');
    assert.match(text, /endpoint: http:\/\/127\.0\.0\.1:1\/mcp/);
    assert.match(text, /health: +http:\/\/127\.0\.0\.1:1\/health/);
    assert.match(text, /ready: +http:\/\/127\.0\.0\.1:1\/ready/);
    assert.ok(!text.includes('s3cret'), text);
  });
});

describe('startServer --redis', { timeout: 120_000 }, () => {
  const prefix = testPrefix();
  let admin: Redis | undefined;
  const running: RunningServer[] = [];
  after(async () => {
    await Promise.all(running.map((r) => r.close()));
    if (admin) {
      await deleteKeys(admin, prefix);
      admin.disconnect();
    }
  });

  it('lets a second process on the same Redis serve a session the first one created', async () => {
    admin = await requireRedis();
    const a = await startServer({ port: 0, host: '127.0.0.1', redis: REDIS_URL, redisPrefix: prefix }, () => {});
    running.push(a);
    const b = await startServer({ port: 0, host: '127.0.0.1', redis: REDIS_URL, redisPrefix: prefix }, () => {});
    running.push(b);
    const sid = await initialize(a.url);
    assert.ok((await admin.exists(`${prefix}s:${sid}`)) === 1, 'the session is stored under the chosen prefix');
    const call = await post(b.url, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'test_simple_text', arguments: {} } }, sid);
    assert.equal(call.status, 200);
    assert.equal((call.messages.find((m) => m.id === 1)?.result?.content as { text: string }[])[0]?.text, 'This is a simple text response for testing.');
    // close() releases Redis: the node's heartbeat key goes at once and its connections end.
    const node = ((await (await fetch(a.healthUrl!)).json()) as { node: string }).node;
    assert.equal(await admin.exists(`${prefix}n:${node}`), 1);
    await a.close();
    assert.equal(await admin.exists(`${prefix}n:${node}`), 0);
    assert.ok(!(await admin.client('LIST') as string).includes(`erlmcp:${node}:`), 'no connection of the closed node is left');
  });
});

describe('exitOnSignals', () => {
  function harness(close: () => Promise<void>) {
    const target = new EventEmitter();
    const exits: number[] = [];
    const logs: string[] = [];
    const remove = exitOnSignals(close, { target, log: (l) => logs.push(l), exit: (c) => exits.push(c) });
    return { target, exits, logs, remove };
  }

  it('closes on SIGTERM and exits 0 once closed', async () => {
    let closed = false;
    const h = harness(async () => {
      closed = true;
    });
    h.target.emit('SIGTERM', 'SIGTERM');
    await new Promise((r) => setImmediate(r));
    assert.equal(closed, true);
    assert.deepEqual(h.exits, [0]);
    h.remove();
    assert.equal(h.target.listenerCount('SIGINT'), 0);
  });

  it('exits 1 at once on a second signal while still closing', async () => {
    const h = harness(() => new Promise<void>(() => {}));
    h.target.emit('SIGINT', 'SIGINT');
    assert.deepEqual(h.exits, []);
    h.target.emit('SIGINT', 'SIGINT');
    assert.deepEqual(h.exits, [1]);
    assert.match(h.logs.join('\n'), /SIGINT again, exiting now/);
    h.remove();
  });

  it('exits 1 when closing fails', async () => {
    const h = harness(async () => {
      throw new Error('boom');
    });
    h.target.emit('SIGTERM', 'SIGTERM');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(h.exits, [1]);
    assert.match(h.logs.join('\n'), /shutdown failed: boom/);
    h.remove();
  });
});
