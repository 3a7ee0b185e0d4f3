/**
 * The gauges about what a served process holds: `startInProcess` (what each `erlmcp start`
 * worker runs) with every network transport, `--metrics` and Redis, one client on each
 * transport; and Redis command timing and the memory event store on their own.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { deleteKeys, requireRedis, testPrefix } from '../../../test/scale-out/helpers.js';
import { startInProcess, type RunningServer } from '../../cli/start.js';
import { Client } from '../../client/client.js';
import type { Transport } from '../../protocol/transport.js';
import { MemoryEventStore } from '../../stores/memory-event-store.js';
import { StreamableHttpClientTransport } from '../../transports/http/client.js';
import { LegacySseClientTransport } from '../../transports/sse-legacy/client.js';
import { TcpClientTransport } from '../../transports/tcp/client.js';
import { WebSocketClientTransport } from '../../transports/ws/client.js';
import { Registry } from 'prom-client';
import { observeEventStore, observeRedis } from './prometheus-runtime.js';

const value = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

function promtool(text: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
    child.stdin.end(text);
  });
}

describe('runtime metrics', { concurrency: false, timeout: 60_000 }, () => {
  const prefix = testPrefix();
  let admin: Redis;
  before(async () => {
    admin = await requireRedis();
  });
  after(async () => {
    await deleteKeys(admin, prefix);
    admin.disconnect();
  });

  it('a served process reports connections and SSE streams per transport, Redis event-store streams, cluster nodes, Redis command latency and session durations', async () => {
    const running: RunningServer = await startInProcess({ port: 0, host: '127.0.0.1', ws: true, legacySse: true, tcpPort: 0, metrics: true, redis: 'redis://127.0.0.1:6379', redisPrefix: `${prefix}s:` }, () => {});
    const clients: Client[] = [];
    try {
      const connect = async (t: Transport): Promise<Client> => {
        const c = new Client({ name: 'c', version: '1' });
        await c.connect(t);
        clients.push(c);
        return c;
      };
      const http = new StreamableHttpClientTransport(running.url);
      const httpClient = await connect(http as Transport);
      await httpClient.callTool({ name: 'echo', arguments: { text: 'hi' } });
      await connect(new WebSocketClientTransport(running.wsUrl!) as Transport);
      const tcpUrl = new URL(running.tcpUrl!);
      await connect(new TcpClientTransport({ host: tcpUrl.hostname, port: Number(tcpUrl.port) }) as Transport);
      await connect(new LegacySseClientTransport(running.legacySseUrl!) as Transport);

      const scrape = async (): Promise<string> => (await fetch(running.metricsUrl!)).text();
      let text = await scrape();
      assert.equal(value(text, 'mcp_server_connections{transport="websocket"}'), 1);
      assert.equal(value(text, 'mcp_server_connections{transport="tcp"}'), 1);
      assert.equal(value(text, 'mcp_server_sse_streams{transport="legacy_sse"}'), 1);
      // Sockets on the HTTP port: at least the Streamable HTTP client's, the WebSocket's, the legacy stream's and this scrape's.
      assert.ok(value(text, 'mcp_server_connections{transport="streamable_http"}')! >= 3, text);
      // The Streamable HTTP client holds its standalone GET stream open.
      assert.ok(value(text, 'mcp_server_sse_streams{transport="streamable_http"}')! >= 1, text);
      assert.ok(value(text, 'mcp_event_store_streams{store="redis"}')! >= 1, 'the tools/call stream (or the GET stream) is stored in Redis');
      assert.equal(value(text, 'mcp_cluster_nodes'), 1);
      assert.ok(value(text, 'mcp_redis_command_duration_seconds_count{command="evalsha"}')! > 0 || value(text, 'mcp_redis_command_duration_seconds_count{command="eval"}')! > 0, text);
      assert.equal(value(text, 'mcp_redis_command_errors_total{command="evalsha"}') ?? 0, 0);
      assert.equal(value(text, 'mcp_server_session_duration_seconds_count{network_transport="tcp",mcp_protocol_version="2025-11-25"}') ?? 0, 0);

      await http.terminateSession();
      for (const c of clients.splice(0)) await c.close();
      // Waiting on the figures themselves: the server sees each close when its socket does.
      for (;;) {
        text = await scrape();
        const ended = value(text, 'mcp_server_session_duration_seconds_count{network_transport="tcp",mcp_protocol_version="2025-11-25"}') ?? 0;
        if (ended >= 4 && value(text, 'mcp_server_connections{transport="tcp"}') === 0 && value(text, 'mcp_server_sse_streams{transport="legacy_sse"}') === 0) break;
        await new Promise((r) => setImmediate(r));
      }
      assert.equal(value(text, 'mcp_server_connections{transport="websocket"}'), 0);
      const { code, out } = await promtool(text);
      assert.equal(out.trim(), '', out);
      assert.equal(code, 0);
    } finally {
      for (const c of clients) await c.close().catch(() => {});
      await running.close();
    }
  });

  it('Redis commands: latency by command, failures counted, command names bounded', async () => {
    const registry = new Registry();
    const redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true });
    await redis.connect();
    try {
      observeRedis(registry, redis, `${prefix}r:`);
      await redis.set(`${prefix}r:k`, 'v');
      await redis.get(`${prefix}r:k`);
      await assert.rejects(redis.call('NO_SUCH_COMMAND'));
      await redis.set(`${prefix}r:n:a`, '1');
      await redis.set(`${prefix}r:n:b`, '1');
      const text = await registry.metrics();
      assert.equal(value(text, 'mcp_redis_command_duration_seconds_count{command="get"}'), 1);
      assert.equal(value(text, 'mcp_redis_command_errors_total{command="no_such_command"}'), 1);
      assert.equal(value(text, 'mcp_cluster_nodes'), 2);
      assert.match(text, /^mcp_redis_command_duration_seconds_bucket\{le="0.0005",command="set"\} \d+$/m);
    } finally {
      redis.disconnect();
    }
  });

  it('the memory event store reports its streams and events', async () => {
    const registry = new Registry();
    const store = new MemoryEventStore();
    observeEventStore(registry, 'memory', () => store.stats());
    await store.append('s1/a', { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 1, progress: 1 } });
    await store.append('s1/a', { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 1, progress: 2 } });
    await store.append('s2/b', { jsonrpc: '2.0', id: 1, result: {} });
    const text = await registry.metrics();
    assert.equal(value(text, 'mcp_event_store_streams{store="memory"}'), 2);
    assert.equal(value(text, 'mcp_event_store_events{store="memory"}'), 3);
    await store.close();
  });
});
