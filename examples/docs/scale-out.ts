// Scale-out: two nodes on one Redis serve the same session (needs Redis on 127.0.0.1:6379).
import { Client } from 'erlmcp/client';
import { McpServer } from 'erlmcp/server';
import { connectRedisStores } from 'erlmcp/stores/redis';
import { StreamableHttpClientTransport, StreamableHttpServer } from 'erlmcp/transports/http';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `docs-${process.pid}:`; // one deployment's keys; give each deployment its own

async function node(name: string) {
  const server = new McpServer({ name: 'scaled', version: '1.0.0' });
  server.tool('whoami', { description: 'Names the node' }, () => ({ content: [{ type: 'text', text: name }] }));
  const stores = await connectRedisStores({ url: redisUrl, prefix });
  await server.useTaskStore(stores.taskStore);
  const http = new StreamableHttpServer({ server, ...stores.seams });
  const { url } = await http.listen(0, '127.0.0.1');
  return { url, close: async () => (await http.close(), await server.close(), await stores.close()) };
}

const a = await node('node A');
const b = await node('node B');

// The session starts on A …
const first = new StreamableHttpClientTransport(a.url);
const client = new Client({ name: 'docs', version: '1.0.0' });
await client.connect(first);
console.log((await client.callTool({ name: 'whoami', arguments: {} })).content[0]); // { type: 'text', text: 'node A' }

// … and B serves it too: a load balancer may send any request anywhere.
const sessionId = first.sessionId!;
const res = await fetch(b.url, {
  method: 'POST',
  headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' },
  body: JSON.stringify({ jsonrpc: '2.0', id: 99, method: 'tools/call', params: { name: 'whoami', arguments: {} } }),
});
console.log(res.status, /node B/.test(await res.text()) ? 'served by node B' : 'unexpected'); // 200 served by node B

await client.close();
await a.close();
await b.close();
