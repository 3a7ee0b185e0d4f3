import { Client } from 'erlmcp/client';
import { StdioClientTransport } from 'erlmcp/transports/stdio';

const client = new Client({ name: 'quickstart-client', version: '1.0.0' });
const serverPath = new URL('./server.js', import.meta.url).pathname;
await client.connect(new StdioClientTransport({ command: process.execPath, args: [serverPath] }));

const { tools } = await client.listTools();
console.log('tools:', tools.map((t) => t.name).join(', '));

const result = await client.callTool({ name: 'forecast', arguments: { city: 'Lisbon', days: 3 } });
console.log(result.structuredContent);

await client.close();
