// One McpServer definition served over several transports at once, each with a client.
import { createServer } from 'node:http';
import { Client } from 'erlmcp/client';
import { McpServer } from 'erlmcp/server';
import { StreamableHttpClientTransport, StreamableHttpServer } from 'erlmcp/transports/http';
import { McpTcpServer, TcpClientTransport } from 'erlmcp/transports/tcp';
import { McpWebSocketServer, WebSocketClientTransport } from 'erlmcp/transports/ws';

const server = new McpServer({ name: 'everywhere', version: '1.0.0' });
server.tool('where', { description: 'Says hello' }, () => ({ content: [{ type: 'text', text: 'hello' }] }));

// Streamable HTTP and WebSocket on one node:http server: POST/GET/DELETE /mcp, upgrades at /mcp/ws.
const streamable = new StreamableHttpServer({ server, dnsRebindingProtection: true });
const http = createServer((req, res) => {
  if (req.url?.startsWith('/mcp')) void streamable.handle(req, res);
  else res.writeHead(404).end();
});
const ws = new McpWebSocketServer({ server });
ws.attach(http);
await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
const port = (http.address() as { port: number }).port;

// Newline-delimited JSON over TCP (pass `tls: { key, cert }` for TLS).
const tcp = new McpTcpServer({ server });
const { port: tcpPort } = await tcp.listen(0, '127.0.0.1');

for (const [name, transport] of [
  ['Streamable HTTP', new StreamableHttpClientTransport(`http://127.0.0.1:${port}/mcp`)],
  ['WebSocket', new WebSocketClientTransport(`ws://127.0.0.1:${port}/mcp/ws`)],
  ['TCP', new TcpClientTransport({ host: '127.0.0.1', port: tcpPort })],
] as const) {
  const client = new Client({ name: 'docs', version: '1.0.0' });
  await client.connect(transport);
  const r = await client.callTool({ name: 'where', arguments: {} });
  console.log(`${name}: ${(r.content[0] as { text: string }).text}`);
  await client.close();
}

await Promise.all([streamable.close(), ws.close(), tcp.close()]);
http.close();
await server.close();
