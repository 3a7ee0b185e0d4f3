/**
 * `erlmcp start --cluster 2 --redis …` with bearer authentication and an audit log: every worker
 * refuses an unauthenticated request (401 + WWW-Authenticate naming the resource metadata) and
 * serves an authorized one, and every worker — across a rolling restart too — extends one audit
 * chain: in a file the supervisor owns, or in Redis.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { startTokenIssuer, type TokenIssuer } from '../../test/helpers/token-issuer.js';
import { deleteKeys, REDIS_URL, requireRedis, testPrefix } from '../../test/scale-out/helpers.js';
import type { AuditRecord } from '../features/audit/record.js';
import { redisChainLines, verifyRedisChain } from '../features/audit/redis-chain.js';
import { verifyAuditFile } from '../features/audit/verify.js';
import { startServer, type RunningServer } from './start.js';

let admin: Redis;
let idp: TokenIssuer;
let dir = '';
let module = '';
const prefixes: string[] = [];
const closers: (() => Promise<unknown>)[] = [];
before(async () => {
  admin = await requireRedis();
  idp = await startTokenIssuer();
  dir = await mkdtemp(join(tmpdir(), 'erlmcp-cluster-sec-'));
  module = join(dir, 'whoami.mjs');
  await writeFile(
    module,
    `import { McpServer } from ${JSON.stringify(new URL('../server/index.js', import.meta.url).href)};
export function createServer() {
  const s = new McpServer({ name: 'whoami', version: '1' });
  s.tool('whoami', { description: 'Names the worker.' }, () => ({ content: [{ type: 'text', text: String(process.pid) }] }));
  return s;
}`,
  );
});
after(async () => {
  for (const c of closers.reverse()) await c().catch(() => {});
  for (const p of prefixes) await deleteKeys(admin, p);
  admin.disconnect();
  await idp.close();
  await rm(dir, { recursive: true, force: true });
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: { id?: unknown; result?: Record<string, unknown> } | undefined;
}

/** One request on its own TCP connection, so node:cluster may hand it to either worker. */
function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const h = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25', ...headers };
    const req = request(url, { method: 'POST', headers: h, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text.startsWith('{') ? (JSON.parse(text) as Reply['body']) : undefined }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

const INIT = { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } };

async function start(auditLog: string, prefix: string): Promise<RunningServer> {
  const r = await startServer(
    { port: 0, host: '127.0.0.1', json: true, cluster: 2, redis: REDIS_URL, redisPrefix: prefix, module, authIssuer: idp.issuer, authJwks: idp.jwksUri, auditLog },
    () => {},
  );
  closers.push(() => r.close());
  return r;
}

/** Initializes with `token` and calls whoami `n` times, each on a new connection: the pids that answered. */
async function calls(url: string, token: string, n: number, sid?: string): Promise<{ sid: string; pids: Set<number> }> {
  const auth = { authorization: `Bearer ${token}` };
  if (sid === undefined) {
    const init = await post(url, INIT, auth);
    assert.equal(init.status, 200, JSON.stringify(init));
    sid = init.headers['mcp-session-id'] as string;
    assert.equal((await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, { ...auth, 'mcp-session-id': sid })).status, 202);
  }
  const pids = new Set<number>();
  for (let i = 1; i <= n; i++) {
    const r = await post(url, { jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'whoami', arguments: {} } }, { ...auth, 'mcp-session-id': sid });
    assert.equal(r.status, 200, JSON.stringify(r));
    pids.add(Number((r.body?.result?.content as { text: string }[])[0]!.text));
  }
  return { sid, pids };
}

/** `n` unauthenticated requests, each on a new connection: all 401 with the challenge. */
async function refusedAnonymously(url: string, n: number): Promise<void> {
  const metadata = `${new URL(url).origin}/.well-known/oauth-protected-resource/mcp`;
  for (let i = 0; i < n; i++) {
    const r = await post(url, INIT);
    assert.equal(r.status, 401);
    assert.ok(String(r.headers['www-authenticate']).includes(`resource_metadata="${metadata}"`), String(r.headers['www-authenticate']));
  }
}

describe('erlmcp start --cluster 2 with authentication and an audit log', { timeout: 180_000 }, () => {
  it('both workers refuse without a token and serve with one; one audit file across workers and a rolling restart', async () => {
    const p = testPrefix();
    prefixes.push(p);
    const file = join(dir, 'audit.jsonl');
    const r = await start(file, p);
    await refusedAnonymously(r.url, 6);
    const token = await idp.sign({ sub: 'alice', aud: r.url });
    const first = await calls(r.url, token, 8);
    assert.equal(first.pids.size, 2, `both workers served: ${[...first.pids].join(', ')}`);
    await r.restart!();
    const second = await calls(r.url, token, 4, first.sid);
    assert.ok([...second.pids].every((pid) => !first.pids.has(pid)), 'served by the replacements');
    await r.close();

    const v = await verifyAuditFile(file);
    assert.ok(v.ok, JSON.stringify(v));
    const recs = (await readFile(file, 'utf8')).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as AuditRecord);
    assert.equal(recs.filter((x) => x.outcome === 'refused' && x.code === 401).length, 6);
    assert.equal(recs.filter((x) => x.method === 'tools/call' && x.subject === 'alice' && x.outcome === 'ok').length, 12);
  });

  it('every worker appends to one audit chain in Redis (--audit-log redis://…)', async () => {
    const p = testPrefix();
    prefixes.push(p);
    const r = await start(REDIS_URL, p);
    await refusedAnonymously(r.url, 4);
    const { pids } = await calls(r.url, await idp.sign({ sub: 'bob', aud: r.url }), 8);
    assert.equal(pids.size, 2);
    await r.close();
    const v = await verifyRedisChain(admin, p);
    assert.ok(v.ok, JSON.stringify(v));
    const recs: AuditRecord[] = [];
    for await (const { line } of redisChainLines(admin, p)) recs.push(JSON.parse(line) as AuditRecord);
    assert.equal(recs.filter((x) => x.outcome === 'refused' && x.code === 401).length, 4);
    assert.equal(recs.filter((x) => x.method === 'tools/call' && x.subject === 'bob').length, 8);
  });
});
