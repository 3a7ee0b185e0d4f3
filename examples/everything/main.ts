/**
 * `npm start`: the everything server over Streamable HTTP on 127.0.0.1.
 * Port from --port N or PORT (default 3000); endpoint /mcp. Ctrl-C shuts down gracefully.
 */
import { StreamableHttpServer } from '../../src/transports/http/index.js';
import { createEverythingServer } from './server.js';

function port(): number {
  const i = process.argv.indexOf('--port');
  const raw = i >= 0 ? process.argv[i + 1] : process.env.PORT;
  const n = raw === undefined ? 3000 : Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`Invalid port: ${raw}`);
  return n;
}

const json = process.argv.includes('--json');
const server = createEverythingServer();
server.onerror = (e) => console.error('[everything]', e.message);
const http = new StreamableHttpServer({ server, enableJsonResponse: json });
const { url } = await http.listen(port(), '127.0.0.1');
console.log(`erlmcp everything server (MCP 2025-11-25, Streamable HTTP${json ? ', JSON responses' : ''})`);
console.log(`  endpoint: ${url}`);
console.log(`  try:      npx @modelcontextprotocol/inspector --transport http --server-url ${url}`);

let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log(`\n${sig}: shutting down`);
    void http.close().then(() => process.exit(0));
  });
}
