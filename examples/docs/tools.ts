// Tools: zod or raw JSON Schema arguments, structured output, progress, cancellation, errors.
import * as z from 'zod';
import { Client } from 'erlmcp/client';
import { McpServer } from 'erlmcp/server';
import { InMemoryTransport } from 'erlmcp/transports/memory';

const server = new McpServer({ name: 'tools-demo', version: '1.0.0' });

// Arguments validated by a zod 4 schema (any Standard Schema works); the handler gets typed args.
server.tool(
  'convert',
  {
    description: 'Converts Celsius to Fahrenheit',
    inputSchema: z.object({ celsius: z.number() }),
    outputSchema: z.object({ fahrenheit: z.number() }),
    annotations: { readOnlyHint: true },
  },
  ({ celsius }) => {
    const fahrenheit = (celsius * 9) / 5 + 32;
    return { content: [{ type: 'text', text: `${fahrenheit} °F` }], structuredContent: { fahrenheit } };
  },
);

// Raw JSON Schema 2020-12 is sent to clients verbatim and checked by Ajv.
server.tool(
  'shout',
  { description: 'Upper-cases text', inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] } },
  (args) => ({ content: [{ type: 'text', text: String(args.text).toUpperCase() }] }),
);

// Long work: report progress, stop when the client cancels (ctx.signal).
server.tool('count', { description: 'Counts to n slowly', inputSchema: z.object({ n: z.number().int().max(10) }) }, async ({ n }, ctx) => {
  for (let i = 1; i <= n; i++) {
    if (ctx.signal.aborted) break;
    await ctx.progress(i, n, `at ${i}`);
  }
  return { content: [{ type: 'text', text: `counted to ${n}` }] };
});

// A failure the model should see is a result with isError, not a thrown protocol error.
server.tool('divide', { description: 'a / b', inputSchema: z.object({ a: z.number(), b: z.number() }) }, ({ a, b }) =>
  b === 0 ? { content: [{ type: 'text', text: 'cannot divide by zero' }], isError: true } : { content: [{ type: 'text', text: String(a / b) }] },
);

const [serverSide, clientSide] = InMemoryTransport.createLinkedPair();
await server.connect(serverSide);
const client = new Client({ name: 'docs', version: '1.0.0' });
await client.connect(clientSide);

console.log((await client.listTools()).tools.map((t) => t.name).join(', ')); // convert, shout, count, divide
console.log((await client.callTool({ name: 'convert', arguments: { celsius: 100 } })).structuredContent); // { fahrenheit: 212 }
const progress: number[] = [];
await client.callTool({ name: 'count', arguments: { n: 3 } }, { onprogress: (p) => progress.push(p.progress) });
console.log('progress', progress.join(',')); // progress 1,2,3
console.log((await client.callTool({ name: 'divide', arguments: { a: 1, b: 0 } })).isError); // true
await client.close();
await server.close();
