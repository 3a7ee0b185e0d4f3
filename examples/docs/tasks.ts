// Tasks (experimental in MCP 2025-11-25): a tools/call that returns at once and is polled.
import * as z from 'zod';
import { Client } from 'erlmcp/client';
import { McpServer } from 'erlmcp/server';
import { InMemoryTransport } from 'erlmcp/transports/memory';

const server = new McpServer({ name: 'tasks-demo', version: '1.0.0' });

server.tool(
  'report',
  { description: 'Builds a slow report', inputSchema: z.object({ rows: z.number() }), execution: { taskSupport: 'optional' } },
  async ({ rows }, ctx) => {
    await new Promise((r) => setTimeout(r, 50));
    if (ctx.signal.aborted) throw new Error('cancelled');
    return { content: [{ type: 'text', text: `report with ${rows} rows` }] };
  },
);

const [serverSide, clientSide] = InMemoryTransport.createLinkedPair();
await server.connect(serverSide);
const client = new Client({ name: 'docs', version: '1.0.0' });
await client.connect(clientSide);

const created = await client.callToolAsTask({ name: 'report', arguments: { rows: 3 } }, { ttl: 60_000 });
console.log(created.task.status); // working
// tasks/result waits until the task is done and returns the tool's result.
const result = await client.getTaskResult(created.task.taskId);
console.log(result.content); // [ { type: 'text', text: 'report with 3 rows' } ]
console.log((await client.getTask(created.task.taskId)).status); // completed
await client.close();
await server.close();
