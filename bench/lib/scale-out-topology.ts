/**
 * The deployments the scale-out scenario drives, each a set of child processes: N nodes on
 * Redis behind the round-robin proxy, one node on the in-memory stores with no proxy, or the
 * SDK's Streamable HTTP server alone. `counts()` sums what the nodes report on GET /__counts.
 */
import { request } from 'node:http';
import { startServerChild, type ServerChild } from './server-child.js';
import { startHttpFixture } from './spawn.js';

export interface NodeCounts {
  /** MCP requests served, per node. */
  requests: number[];
  /** Redis commands sent by all nodes together (round trips). */
  redisCommands: number;
}

export interface Topology {
  /** The MCP endpoint the driver talks to. */
  url: string;
  counts(): Promise<NodeCounts>;
  stop(): Promise<void>;
}

function getJson<T>(url: string): Promise<T> {
  return new Promise((resolve, reject) => {
    // A fresh connection, not the keep-alive pool under test.
    const req = request(url, { agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        try {
          resolve(JSON.parse(body) as T);
        } catch (e) {
          reject(e as Error);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

async function stopAll(children: readonly ServerChild[]): Promise<void> {
  await Promise.all(children.map((c) => c.stop()));
}

function nodeCounts(nodes: readonly ServerChild[]): () => Promise<NodeCounts> {
  return async () => {
    const each = await Promise.all(nodes.map((n) => getJson<{ requests: number; redisCommands: number }>(`${n.address}/__counts`)));
    return { requests: each.map((c) => c.requests), redisCommands: each.reduce((a, c) => a + c.redisCommands, 0) };
  };
}

/** N everything-server nodes on Redis (`prefix` keeps runs apart) behind a RoundRobinProxy child. */
export async function startRedisCluster(nodes: number, redisUrl: string, prefix: string): Promise<Topology> {
  const started: ServerChild[] = [];
  try {
    const settled = await Promise.allSettled(Array.from({ length: nodes }, () => startServerChild('scale-node', ['--redis', redisUrl, '--prefix', prefix])));
    for (const s of settled) if (s.status === 'fulfilled') started.push(s.value);
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    const backends = started.map((n) => n.address);
    const proxy = await startServerChild('scale-proxy', backends);
    return { url: `${proxy.address}/mcp`, counts: nodeCounts([...started]), stop: () => stopAll([proxy, ...started]) };
  } catch (e) {
    await stopAll(started);
    throw e;
  }
}

/** The baseline: one node on the in-memory stores, driven directly (no proxy, no Redis). */
export async function startMemoryNode(): Promise<Topology> {
  const node = await startServerChild('scale-node');
  return { url: `${node.address}/mcp`, counts: nodeCounts([node]), stop: () => node.stop() };
}

/** The SDK's Streamable HTTP server (SSE responses), one process: all it can be deployed as. */
export async function startSdkNode(): Promise<Topology> {
  const child = await startHttpFixture('sdk-http', []);
  return { url: child.url, counts: async () => ({ requests: [], redisCommands: 0 }), stop: () => child.stop() };
}
