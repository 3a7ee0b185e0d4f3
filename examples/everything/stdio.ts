/** The everything server over stdio: `node dist/examples/everything/stdio.js`. Logs go to stderr. */
import { StdioServerTransport } from '../../src/transports/stdio/index.js';
import { createEverythingServer } from './server.js';

const server = createEverythingServer();
server.onerror = (e) => console.error('[everything]', e.message);
await server.connect(new StdioServerTransport());
console.error('erlmcp everything server running on stdio');
