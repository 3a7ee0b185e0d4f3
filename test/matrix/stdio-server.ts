/** The matrix server over stdio, for the stdio entry of the transport matrix. */
import { StdioServerTransport } from '../../src/transports/stdio/index.js';
import { createMatrixServer } from './fixture-server.js';

if (process.argv.includes('--serve')) {
  await createMatrixServer().connect(new StdioServerTransport());
}
