import { McpServer } from './dist/src/server/index.js';
import { Client } from './dist/src/client/index.js';
import { InMemoryTransport } from './dist/src/transports/memory.js';
import { McpServer as SdkServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { Client as SdkClient } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport as SdkMem } from '@modelcontextprotocol/sdk/inMemory.js';
import * as z from 'zod';
const N = 20000;
async function bench(name, call) {
  for (let i = 0; i < 2000; i++) await call(i);
  let t = performance.now();
  for (let i = 0; i < N; i++) await call(i);
  const seq = N / ((performance.now() - t) / 1000);
  t = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: 64 }, async () => { while (next < N) { next++; await call(next); } }));
  const par = N / ((performance.now() - t) / 1000);
  console.log(name, 'seq', Math.round(seq), 'calls/s; 64 in flight', Math.round(par), 'calls/s');
}
{
  const s = new McpServer({ name: 's', version: '1' });
  s.tool('echo', { inputSchema: z.object({ text: z.string() }) }, ({ text }) => ({ content: [{ type: 'text', text }] }));
  const [a, b] = InMemoryTransport.createLinkedPair();
  await s.connect(b);
  const c = new Client({ name: 'c', version: '1' });
  await c.connect(a);
  await bench('erlmcp', (i) => c.callTool({ name: 'echo', arguments: { text: 'hi' } }));
}
{
  const s = new SdkServer({ name: 's', version: '1' });
  s.registerTool('echo', { inputSchema: { text: z.string() } }, ({ text }) => ({ content: [{ type: 'text', text }] }));
  const [a, b] = SdkMem.createLinkedPair();
  await s.connect(b);
  const c = new SdkClient({ name: 'c', version: '1' });
  await c.connect(a);
  await bench('sdk   ', (i) => c.callTool({ name: 'echo', arguments: { text: 'hi' } }));
}
