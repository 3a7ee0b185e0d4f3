import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { connectPair, until, WAIT_MS } from '../../test/helpers/pair.js';
import { McpError } from '../protocol/errors.js';
import { McpServer } from './server.js';

let servers: McpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).toString('base64');

function makeServer(): McpServer {
  const server = new McpServer({ name: 'resources-server', version: '1.0.0' });
  servers.push(server);
  server.resource('test://static/text', { name: 'static-text', title: 'Static text', mimeType: 'text/plain', description: 'A fixed text' }, (uri) => ({
    contents: [{ uri, mimeType: 'text/plain', text: 'This is the content of the static text resource.' }],
  }));
  server.resource('test://static/binary', { name: 'static-binary', mimeType: 'image/png', size: 8 }, (uri) => ({
    contents: [{ uri, mimeType: 'image/png', blob: PNG }],
  }));
  server.resourceTemplate(
    'data-template',
    'test://template/{id}/data',
    { title: 'Data by id', mimeType: 'application/json' },
    (uri, variables) => ({ contents: [{ uri, mimeType: 'application/json', text: JSON.stringify({ id: variables.id }) }] }),
    {
      complete: { id: (value) => ['alpha', 'beta', 'alps'].filter((v) => v.startsWith(value)) },
      list: () => [{ uri: 'test://template/alpha/data', name: 'alpha' }],
    },
  );
  return server;
}

describe('resources', () => {
  it('lists fixed resources with their metadata, plus template-enumerated ones', async () => {
    const { client } = await connectPair(makeServer());
    const { resources } = await client.listResources();
    assert.deepEqual(resources, [
      { uri: 'test://static/text', name: 'static-text', title: 'Static text', mimeType: 'text/plain', description: 'A fixed text' },
      { uri: 'test://static/binary', name: 'static-binary', mimeType: 'image/png', size: 8 },
      { uri: 'test://template/alpha/data', name: 'alpha' },
    ]);
  });

  it('reads a static text resource', async () => {
    const { client } = await connectPair(makeServer());
    const r = await client.readResource('test://static/text');
    assert.deepEqual(r.contents, [{ uri: 'test://static/text', mimeType: 'text/plain', text: 'This is the content of the static text resource.' }]);
  });

  it('reads a binary resource as a base64 blob', async () => {
    const { client } = await connectPair(makeServer());
    const [c] = (await client.readResource('test://static/binary')).contents;
    assert.equal((c as { blob: string }).blob, PNG);
    assert.deepEqual([...Buffer.from((c as { blob: string }).blob, 'base64')].slice(0, 4), [0x89, 0x50, 0x4e, 0x47]);
  });

  it('reads through a template with its variables', async () => {
    const { client } = await connectPair(makeServer());
    const r = await client.readResource('test://template/123/data');
    assert.deepEqual(r.contents, [{ uri: 'test://template/123/data', mimeType: 'application/json', text: '{"id":"123"}' }]);
    const enc = await client.readResource('test://template/a%20b/data');
    assert.equal((enc.contents[0] as { text: string }).text, '{"id":"a b"}');
  });

  it('answers an unknown URI with -32002 carrying the uri', async () => {
    const { client } = await connectPair(makeServer());
    for (const uri of ['test://nope', 'test://template/1/2/data', 'test://template/1/other']) {
      await assert.rejects(client.readResource(uri), (e: unknown) => e instanceof McpError && e.code === -32002 && (e.data as { uri: string }).uri === uri, uri);
    }
  });

  it('lists resource templates', async () => {
    const { client } = await connectPair(makeServer());
    const { resourceTemplates } = await client.listResourceTemplates();
    assert.deepEqual(resourceTemplates, [{ uriTemplate: 'test://template/{id}/data', name: 'data-template', title: 'Data by id', mimeType: 'application/json' }]);
  });

  it('stops serving a disabled resource and announces resources list_changed', async () => {
    const server = makeServer();
    const handle = server.resource('test://temp', { name: 'temp' }, (uri) => ({ contents: [{ uri, text: 't' }] }));
    const { client } = await connectPair(server);
    let changes = 0;
    client.onResourcesListChanged = () => changes++;
    handle.disable();
    await until(() => changes === 1, WAIT_MS, 'resources list_changed');
    await assert.rejects(client.readResource('test://temp'), (e: unknown) => e instanceof McpError && e.code === -32002);
    assert.equal((await client.listResources()).resources.some((r) => r.uri === 'test://temp'), false);
  });
});

describe('resource subscriptions', () => {
  it('sends notifications/resources/updated only to subscribed sessions, until they unsubscribe', async () => {
    const server = makeServer();
    const a = await connectPair(server, {}, 'a');
    const b = await connectPair(server, {}, 'b');
    const gotA: string[] = [];
    const gotB: string[] = [];
    a.client.onResourceUpdated = (uri) => gotA.push(uri);
    b.client.onResourceUpdated = (uri) => gotB.push(uri);

    await a.client.subscribeResource('test://static/text');
    await server.notifyResourceUpdated('test://static/text');
    await server.notifyResourceUpdated('test://static/binary');
    await until(() => gotA.length === 1, WAIT_MS, 'updated on A');
    // Ping round trips: anything sent to A or B before the pongs has arrived.
    await a.client.ping();
    await b.client.ping();
    assert.deepEqual(gotA, ['test://static/text']);
    assert.deepEqual(gotB, []);

    await a.client.unsubscribeResource('test://static/text');
    await server.notifyResourceUpdated('test://static/text');
    await a.client.ping();
    assert.deepEqual(gotA, ['test://static/text']);
  });

  it('forgets the subscriptions of a closed session', async () => {
    const server = makeServer();
    const errors: Error[] = [];
    server.onerror = (e) => errors.push(e);
    const a = await connectPair(server);
    await a.client.subscribeResource('test://static/text');
    await a.close();
    await until(() => server.sessionCount === 0, WAIT_MS, 'detach');
    await server.notifyResourceUpdated('test://static/text');
    assert.deepEqual(errors, []);
  });

  it('records subscriptions in the exportable session state', async () => {
    const server = makeServer();
    const { client, serverSession } = await connectPair(server);
    await client.subscribeResource('test://template/1/data');
    assert.deepEqual(serverSession.exportState().subscriptions, ['test://template/1/data']);
  });
});
