// Requests from server to client: sampling (ask the client's LLM) and elicitation (ask the user).
import * as z from 'zod';
import { Client } from 'erlmcp/client';
import { McpServer } from 'erlmcp/server';
import { InMemoryTransport } from 'erlmcp/transports/memory';

const server = new McpServer({ name: 'ask-demo', version: '1.0.0' });

server.tool('haiku', { description: 'Writes a haiku with the client’s model', inputSchema: z.object({ topic: z.string() }) }, async ({ topic }, ctx) => {
  const r = await ctx.sample({ messages: [{ role: 'user', content: { type: 'text', text: `A haiku about ${topic}` } }], maxTokens: 60 });
  const block = Array.isArray(r.content) ? r.content[0] : r.content;
  return { content: [{ type: 'text', text: block?.type === 'text' ? block.text : '(no text)' }] };
});

server.tool('book', { description: 'Books a table, asking how many people' }, async (_args, ctx) => {
  const r = await ctx.elicit({
    message: 'How many people?',
    requestedSchema: { type: 'object', properties: { people: { type: 'integer', minimum: 1 } }, required: ['people'] },
  });
  return { content: [{ type: 'text', text: r.action === 'accept' ? `booked for ${String(r.content?.people)}` : `not booked (${r.action})` }] };
});

const [serverSide, clientSide] = InMemoryTransport.createLinkedPair();
await server.connect(serverSide);
// Giving handlers advertises the capabilities; the server may only ask what the client declared.
const client = new Client(
  { name: 'docs', version: '1.0.0' },
  {
    sampling: (params) => ({ role: 'assistant', model: 'fake-llm', content: { type: 'text', text: `(${params.messages.length} message) autumn leaves fall` } }),
    elicitation: () => ({ action: 'accept', content: { people: 4 } }),
  },
);
await client.connect(clientSide);

console.log((await client.callTool({ name: 'haiku', arguments: { topic: 'autumn' } })).content[0]); // { type: 'text', text: '(1 message) autumn leaves fall' }
console.log((await client.callTool({ name: 'book', arguments: {} })).content[0]); // { type: 'text', text: 'booked for 4' }
await client.close();
await server.close();
