/**
 * Every refusal leaves an audit record, whichever feature refused and wherever: the rate limiter
 * at admission (HTTP 429) and inside a session (-32000 rate_limited), authentication (401), the
 * policy (denied), and the server's limits — a full server (503 max_sessions), a full session
 * (max_in_flight, refused before any middleware runs) and a busy tool (tool_busy) — with the
 * subject when one was established.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Client } from '../../client/index.js';
import { McpServer } from '../../server/index.js';
import { StreamableHttpClientTransport } from '../../transports/http/client.js';
import { StreamableHttpServer } from '../../transports/http/server.js';
import { ApiKeyStore, hashApiKey } from '../auth/api-keys.js';
import { Policy } from '../auth/policy.js';
import { ResourceServer } from '../auth/resource-server.js';
import { rateLimit } from '../rate-limit.js';
import type { AuditWriter } from './chain.js';
import { AuditLog } from './log.js';
import type { AuditEntry } from './record.js';

class Collect implements AuditWriter {
  readonly entries: AuditEntry[] = [];
  append(e: AuditEntry): void {
    this.entries.push(e);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const closers: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c().catch(() => {});
});

async function connect(url: string, headers: Record<string, string> = {}): Promise<Client> {
  const c = new Client({ name: 'c', version: '1' });
  await c.connect(new StreamableHttpClientTransport(new URL(url), { headers }));
  closers.push(() => c.close());
  return c;
}

const KEY = 'emk_refusal-test-key';

describe('refusals are audited', () => {
  it('authentication, policy and rate limiting (admission 429 and in-session), with the subject', async () => {
    const log = new Collect();
    const server = new McpServer({ name: 'r', version: '1' });
    server.tool('add', {}, () => ({ content: [] }));
    server.tool('secret', {}, () => ({ content: [] }));
    const rs = new ResourceServer({ resource: 'http://127.0.0.1/mcp', apiKeys: new ApiKeyStore([{ name: 'calc-bot', sha256: hashApiKey(KEY), scopes: ['calc'] }]) });
    rs.install(server);
    new AuditLog(log).install(server);
    new Policy({ rules: [{ scopes: ['calc'], tools: ['add'] }] }).install(server);
    // Per subject: initialize counts at admission and in the session (2), then one call fits.
    rateLimit(server, { points: 3, duration: 3600 });
    const http = new StreamableHttpServer({ server });
    const { url } = await http.listen(0, '127.0.0.1');
    closers.push(() => http.close());

    const anon = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
    assert.equal(anon.status, 401);
    await anon.text();
    const client = await connect(url, { 'x-api-key': KEY });
    await assert.rejects(client.callTool({ name: 'secret', arguments: {} }), /Forbidden/);
    await client.callTool({ name: 'add', arguments: {} });
    await assert.rejects(client.callTool({ name: 'add', arguments: {} }), /Rate limit exceeded/);
    const second = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'x-api-key': KEY },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
    });
    assert.equal(second.status, 429);
    await second.text();

    const pick = (f: (e: AuditEntry) => boolean) => log.entries.filter(f).map((e) => [e.outcome, e.code, e.reason, e.subject, e.method, e.target]);
    assert.deepEqual(pick((e) => e.reason === 'unauthorized'), [['refused', 401, 'unauthorized', undefined, 'POST /mcp', undefined]]);
    assert.deepEqual(pick((e) => e.target === 'secret'), [['denied', -32000, 'forbidden', 'calc-bot', 'tools/call', 'secret']]);
    assert.deepEqual(pick((e) => e.reason === 'rate_limited'), [
      ['refused', -32000, 'rate_limited', 'calc-bot', 'tools/call', 'add'],
      ['refused', 429, 'rate_limited', 'calc-bot', 'POST /mcp', undefined],
    ]);
  });

  it('limits: a full server (503), a full session (max_in_flight) and a busy tool (tool_busy)', async () => {
    const log = new Collect();
    const server = new McpServer({ name: 'l', version: '1' });
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const started = new Promise<void>((r) => (entered = r));
    server.tool('slow', {}, async () => {
      entered();
      await released;
      return { content: [] };
    });
    new AuditLog(log).install(server);
    server.configureLimits({ maxSessions: 2, maxInFlightPerSession: 1, toolConcurrency: 1, toolQueue: 0 });
    const http = new StreamableHttpServer({ server });
    const { url } = await http.listen(0, '127.0.0.1');
    closers.push(() => http.close());

    const a = await connect(url);
    const b = await connect(url);
    await assert.rejects(connect(url), /503|maximum of 2 sessions/);
    const running = a.callTool({ name: 'slow', arguments: {} });
    await started;
    await assert.rejects(a.callTool({ name: 'slow', arguments: {} }), /Too many requests in flight/);
    await assert.rejects(b.callTool({ name: 'slow', arguments: {} }), /Tool slow is busy/);
    release();
    await running;

    const pick = (reason: string) => log.entries.filter((e) => e.reason === reason).map((e) => [e.outcome, e.code, e.method, e.target, e.transport]);
    assert.deepEqual(pick('max_sessions'), [['refused', 503, 'POST /mcp', undefined, 'http']]);
    assert.deepEqual(pick('max_in_flight'), [['refused', -32000, 'tools/call', 'slow', 'http']]);
    assert.deepEqual(pick('tool_busy'), [['refused', -32000, 'tools/call', 'slow', 'http']]);
    const inFlight = log.entries.find((e) => e.reason === 'max_in_flight')!;
    assert.ok(inFlight.session !== undefined, 'the session is named');
  });
});
