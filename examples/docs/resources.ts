// Resources: static ones, RFC 6570 templates with completion, subscriptions.
import { Client } from 'erlmcp/client';
import { McpServer } from 'erlmcp/server';
import { InMemoryTransport } from 'erlmcp/transports/memory';

const server = new McpServer({ name: 'resources-demo', version: '1.0.0' });
let motd = 'hello';

server.resource('config://motd', { name: 'motd', description: 'Message of the day', mimeType: 'text/plain' }, (uri) => ({
  contents: [{ uri, mimeType: 'text/plain', text: motd }],
}));

// One handler for a family of URIs; `complete` suggests values for a variable.
server.resourceTemplate(
  'user',
  'users://{id}/profile',
  { description: 'A user profile', mimeType: 'application/json' },
  (uri, { id }) => ({ contents: [{ uri, mimeType: 'application/json', text: JSON.stringify({ id, name: `user ${String(id)}` }) }] }),
  { complete: { id: (prefix) => ['1', '2', '42'].filter((v) => v.startsWith(prefix)) } },
);

const [serverSide, clientSide] = InMemoryTransport.createLinkedPair();
await server.connect(serverSide);
const client = new Client({ name: 'docs', version: '1.0.0' });
const updated: string[] = [];
client.onnotification = (method, params) => {
  if (method === 'notifications/resources/updated') updated.push(String(params?.uri));
};
await client.connect(clientSide);

console.log((await client.listResources()).resources.map((r) => r.uri)); // [ 'config://motd' ]
console.log((await client.readResource('users://42/profile')).contents[0]); // { uri: 'users://42/profile', … "name":"user 42" … }
const done = await client.complete({ ref: { type: 'ref/resource', uri: 'users://{id}/profile' }, argument: { name: 'id', value: '4' } });
console.log(done.completion.values); // [ '42' ]

await client.subscribeResource('config://motd');
motd = 'changed';
await server.notifyResourceUpdated('config://motd');
await client.ping(); // the notification arrives before this answer
console.log('updated:', updated); // updated: [ 'config://motd' ]
await client.close();
await server.close();
