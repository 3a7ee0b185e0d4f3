/**
 * The server every transport in the matrix serves: the everything server plus one control tool,
 * so scenarios can make the server push `notifications/resources/updated` even when it runs
 * in another process (stdio).
 */
import * as z from 'zod';
import { createEverythingServer } from '../../examples/everything/server.js';
import type { McpServer } from '../../src/server/index.js';

export function createMatrixServer(): McpServer {
  const server = createEverythingServer();
  server.tool('matrix_touch_resource', { description: 'Marks a resource as updated', inputSchema: z.object({ uri: z.string() }) }, async ({ uri }) => {
    await server.notifyResourceUpdated(uri);
    return { content: [{ type: 'text', text: `touched ${uri}` }] };
  });
  return server;
}
