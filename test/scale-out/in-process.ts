/**
 * An MCP server node inside the test process, on Redis stores under `prefix`: for tests that
 * must call a specific node's McpServer (notify from node C, count where a handler ran).
 * Child-process nodes are in helpers.ts (`spawnNodes`).
 */
import { McpServer, type ServerOptions } from '../../src/server/index.js';
import { connectRedisStores, type RedisStores } from '../../src/stores/redis/index.js';
import { StreamableHttpServer } from '../../src/transports/http/index.js';

export interface InProcessNode {
  server: McpServer;
  http: StreamableHttpServer;
  stores: RedisStores;
  origin: string;
  close(): Promise<void>;
}

/** Starts a node; `setup` registers its tools and resources before it listens. */
export async function startInProcessNode(prefix: string, setup: (server: McpServer, stores: RedisStores) => void | Promise<void>, options?: ServerOptions): Promise<InProcessNode> {
  const stores = await connectRedisStores({ prefix, heartbeatMs: 500 });
  const server = new McpServer({ name: 'in-process-node', version: '1' }, { taskPollIntervalMs: 100, ...options });
  await setup(server, stores);
  const http = new StreamableHttpServer({ server, ...stores.seams });
  const { url } = await http.listen(0, '127.0.0.1');
  return {
    server,
    http,
    stores,
    origin: new URL(url).origin,
    close: async () => {
      await http.close();
      await server.close();
      await stores.close();
    },
  };
}
