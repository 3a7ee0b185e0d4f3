/** Server module for the node:cluster tests: the everything server plus fixture tools (`whoami` names the worker's pid). */
import { createEverythingServer } from '../../examples/everything/server.js';
import type { McpServer } from '../../src/server/index.js';
import { registerFixtureTools } from './fixtures.js';

export function createServer(): McpServer {
  const server = createEverythingServer();
  registerFixtureTools(server, () => `pid-${process.pid}`);
  return server;
}
