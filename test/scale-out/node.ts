/**
 * One MCP server node for the scale-out tests, run as a child process: the everything server
 * (examples/everything/server.ts) on Redis stores, plus a few fixture tools, on a free port.
 * Prints one JSON line `{ url, nodeId, pid }` once listening. Env: ERLMCP_REDIS_URL,
 * ERLMCP_PREFIX, ERLMCP_HEARTBEAT_MS.
 */
import { createEverythingServer } from '../../examples/everything/server.js';
import { connectRedisStores } from '../../src/stores/redis/index.js';
import { StreamableHttpServer } from '../../src/transports/http/index.js';
import { registerFixtureTools } from './fixtures.js';

const stores = await connectRedisStores({
  url: process.env.ERLMCP_REDIS_URL,
  prefix: process.env.ERLMCP_PREFIX,
  heartbeatMs: Number(process.env.ERLMCP_HEARTBEAT_MS ?? 2000),
});
stores.connection.onerror = (e) => console.error(`[node ${stores.nodeId}] redis: ${e.message}`);
const server = createEverythingServer();
await server.useTaskStore(stores.taskStore);
registerFixtureTools(server, () => stores.nodeId);
server.onerror = (e) => console.error(`[node ${stores.nodeId}] ${e.message}`);
// The conformance suite run through these nodes sends stale MCP-Protocol-Version headers (see test/conformance).
const http = new StreamableHttpServer({ server, ...stores.seams, protocolVersionHeader: 'supported' });
http.onerror = (e) => console.error(`[node ${stores.nodeId}] ${e.message}`);
const { url } = await http.listen(0, '127.0.0.1');
console.log(JSON.stringify({ url, nodeId: http.nodeId, pid: process.pid }));

process.on('SIGTERM', () => {
  void (async () => {
    await http.close().catch(() => {});
    await server.close().catch(() => {});
    await stores.close().catch(() => {});
    process.exit(0);
  })();
});
