/**
 * Two `erlmcp gateway` processes on the real Redis, in front of one erlmcp upstream (Streamable
 * HTTP, in this process, where the test changes a resource and raises its update): a client
 * session opened through a round-robin proxy is served by both nodes, and an upstream's
 * `notifications/resources/updated` heard by one node empties the cache of both. Node A takes
 * Redis from its config file, node B from `--redis`/`--redis-prefix`.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { Client } from '../../src/client/index.js';
import { RoundRobinProxy } from '../../src/cluster/proxy.js';
import type { CacheStats } from '../../src/features/cache/cache.js';
import { McpServer } from '../../src/server/index.js';
import { StreamableHttpClientTransport } from '../../src/transports/http/client.js';
import { StreamableHttpServer } from '../../src/transports/http/server.js';
import { spawnCli } from '../helpers/cli.js';
import { REDIS_URL, deleteKeys, requireRedis, testPrefix, waitFor } from '../scale-out/helpers.js';

const URI = 'doc://live';
const GW_URI = `mcp-gw://up/${URI}`;

interface GatewayNode {
  child: ChildProcess;
  url: string;
  origin: string;
  /** The cache counters of upstream `up`, from GET /health. */
  cache(): Promise<CacheStats>;
  stop(): Promise<void>;
}

async function startGateway(args: string[]): Promise<GatewayNode> {
  const child = spawnCli(['gateway', '--port', '0', ...args]);
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-10_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      const m = /listening on (\S+)\n/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`gateway exited (${String(code)}) before listening: ${err}`)));
  });
  const origin = new URL(url).origin;
  return {
    child,
    url,
    origin,
    async cache() {
      const health = (await (await fetch(`${origin}/health`)).json()) as { upstreams: { name: string; cache?: CacheStats }[] };
      return health.upstreams.find((u) => u.name === 'up')!.cache!;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

function configFile(config: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'erlmcp-gw-redis-')), 'gateway.json');
  writeFileSync(path, JSON.stringify(config));
  return path;
}

async function connect(url: string, options: ConstructorParameters<typeof Client>[1] = {}): Promise<{ client: Client; transport: StreamableHttpClientTransport }> {
  const client = new Client({ name: 'gw-redis-test', version: '1' }, options);
  const transport = new StreamableHttpClientTransport(url);
  await client.connect(transport);
  return { client, transport };
}

const text = (r: { contents: unknown[] }) => (r.contents[0] as { text: string }).text;

describe('gateway nodes sharing Redis', { concurrency: false, timeout: 300_000 }, () => {
  const prefix = testPrefix();
  let admin: Redis;
  let upstream: McpServer;
  let upstreamHttp: StreamableHttpServer;
  let content = 'version 1';
  let upstreamReads = 0;
  let a: GatewayNode;
  let b: GatewayNode;
  const clients: Client[] = [];

  before(async () => {
    admin = await requireRedis();
    upstream = new McpServer({ name: 'live-upstream', version: '1' });
    upstream.resource(URI, { name: 'live', mimeType: 'text/plain' }, (uri) => {
      upstreamReads++;
      return { contents: [{ uri, text: content }] };
    });
    upstream.tool('echo', { inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] } }, (args) => ({ content: [{ type: 'text', text: `echo: ${String(args.text)}` }] }));
    upstream.tool('confirm', {}, async (_args, ctx) => {
      const r = await ctx.elicit({ message: 'Who is there?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } });
      return { content: [{ type: 'text', text: `confirmed by ${String(r.content?.name)}` }] };
    });
    upstreamHttp = new StreamableHttpServer({ server: upstream });
    const { url } = await upstreamHttp.listen(0, '127.0.0.1');
    const base = { name: 'gw-redis-test', upstreams: { up: { type: 'http', url, cache: { ttlMs: 600_000 } } } };
    [a, b] = await Promise.all([
      startGateway(['--config', configFile({ ...base, redis: REDIS_URL, redisPrefix: prefix })]),
      startGateway(['--config', configFile(base), '--redis', REDIS_URL, '--redis-prefix', prefix]),
    ]);
  });

  after(async () => {
    for (const c of clients) await c.close().catch(() => {});
    await Promise.all([a?.stop(), b?.stop()]);
    await upstreamHttp?.close();
    if (admin) {
      await deleteKeys(admin, prefix);
      admin.disconnect();
    }
  });

  it('keeps a client session working while a round-robin proxy sends its requests to either node', async () => {
    const proxy = new RoundRobinProxy({ backends: [a.origin, b.origin] });
    const { url } = await proxy.listen();
    try {
      const { client, transport } = await connect(`${url}/mcp`, { elicitation: () => ({ action: 'accept', content: { name: 'carol' } }) });
      clients.push(client);
      const session = transport.sessionId;
      assert.ok(session);
      for (let i = 0; i < 4; i++) assert.deepEqual((await client.callTool({ name: 'up__echo', arguments: { text: `m${i}` } })).content, [{ type: 'text', text: `echo: m${i}` }]);
      assert.ok((await client.listTools()).tools.some((t) => t.name === 'up__confirm'));
      // The elicitation is asked on the node running the call; the client's answer is POSTed to the next node.
      assert.deepEqual((await client.callTool({ name: 'up__confirm' })).content, [{ type: 'text', text: 'confirmed by carol' }]);
      const hits = proxy.hits();
      assert.ok(hits.every((h) => h > 0), `both nodes served the session: ${JSON.stringify(hits)}`);
      // One session throughout: no node answered 404 (which would have made the client initialize again).
      assert.equal(transport.sessionId, session);
      assert.equal(proxy.log.filter((e) => e.body.includes('"method":"initialize"')).length, 1);
      assert.ok(proxy.log.every((e) => e.status === undefined || e.status < 400), JSON.stringify(proxy.log.filter((e) => (e.status ?? 0) >= 400)));
    } finally {
      await proxy.close();
    }
  });

  it("drops a resource from both nodes' caches when the upstream updates it, though only one node hears the upstream", async () => {
    const { client: viaA } = await connect(a.url);
    const { client: viaB } = await connect(b.url);
    clients.push(viaA, viaB);
    // Only node A subscribes upstream (its client subscribed there): B can learn of the update only over Redis.
    await viaA.subscribeResource(GW_URI);
    const reads0 = upstreamReads;
    assert.equal(text(await viaA.readResource(GW_URI)), 'version 1');
    assert.equal(text(await viaB.readResource(GW_URI)), 'version 1');
    // B was served from A's entry in L2: the upstream was read once.
    assert.equal(upstreamReads - reads0, 1);
    assert.equal((await b.cache()).l2Hits, 1);
    // Changed behind the cache: both nodes still serve the cached entry.
    content = 'version 2';
    assert.equal(text(await viaA.readResource(GW_URI)), 'version 1');
    assert.equal(text(await viaB.readResource(GW_URI)), 'version 1');
    const invalidationsB = (await b.cache()).invalidations;

    const updated = new Promise<string>((resolve) => (viaA.onResourceUpdated = resolve));
    await upstream.notifyResourceUpdated(URI);
    // A forwards the update once its own invalidation is done; B drops its L1 when the bus message arrives.
    assert.equal(await updated, GW_URI);
    await waitFor("node B's cache to hear the invalidation", async () => (await b.cache()).invalidations > invalidationsB, 60_000);

    assert.equal(text(await viaA.readResource(GW_URI)), 'version 2');
    assert.equal(text(await viaB.readResource(GW_URI)), 'version 2');
    // A read the upstream again; B found A's new entry in L2.
    assert.equal(upstreamReads - reads0, 2);
  });
});
