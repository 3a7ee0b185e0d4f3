/**
 * The official-SDK fixture server over stdio, for erlmcp's StdioClientTransport to spawn:
 * `node dist/test/interop/sdk-server-fixture.js --serve`. Without `--serve` it does nothing, so
 * a test runner that loads every file under test/ cannot leave it waiting on stdin.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createSdkServer } from './sdk-server.js';

if (process.argv.includes('--serve')) {
  const server = createSdkServer();
  // stdin EOF is the client's "close" (basic/transports#stdio): exit instead of lingering.
  process.stdin.once('end', () => void server.close().finally(() => process.exit(0)));
  await server.connect(new StdioServerTransport());
  console.error('sdk interop fixture running on stdio');
}
