// Prompts: message templates with arguments (a list, or a Standard Schema such as zod).
import * as z from 'zod';
import { Client } from 'erlmcp/client';
import { McpServer } from 'erlmcp/server';
import { InMemoryTransport } from 'erlmcp/transports/memory';

const server = new McpServer({ name: 'prompts-demo', version: '1.0.0' });

server.prompt(
  'translate',
  {
    description: 'Translate a text',
    arguments: [
      { name: 'text', description: 'What to translate', required: true },
      { name: 'language', description: 'Target language' },
    ],
    complete: { language: (prefix) => ['French', 'German', 'Portuguese'].filter((l) => l.startsWith(prefix)) },
  },
  ({ text, language }) => ({ messages: [{ role: 'user', content: { type: 'text', text: `Translate into ${language ?? 'French'}: ${text}` } }] }),
);

server.prompt('summarize', { description: 'Summarize code', arguments: z.object({ code: z.string(), lines: z.string().optional() }) }, ({ code, lines }) => ({
  messages: [{ role: 'user', content: { type: 'text', text: `Summarize in ${lines ?? '3'} lines:\n${code}` } }],
}));

const [serverSide, clientSide] = InMemoryTransport.createLinkedPair();
await server.connect(serverSide);
const client = new Client({ name: 'docs', version: '1.0.0' });
await client.connect(clientSide);

console.log((await client.listPrompts()).prompts.map((p) => p.name)); // [ 'translate', 'summarize' ]
const got = await client.getPrompt('translate', { text: 'good morning', language: 'German' });
console.log(got.messages[0]?.content); // { type: 'text', text: 'Translate into German: good morning' }
await client.close();
await server.close();
