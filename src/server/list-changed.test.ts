import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { connectPair, RawPeer, until, WAIT_MS } from '../../test/helpers/pair.js';
import { McpServer } from './server.js';

let servers: McpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});
function newServer(): McpServer {
  const s = new McpServer({ name: 'lc', version: '1' });
  servers.push(s);
  return s;
}

const LIST_CHANGED = /^notifications\/(tools|resources|prompts)\/list_changed$/;

describe('list_changed notifications', () => {
  it('sends one notification per kind for changes to tools, resources, templates and prompts in one tick', async () => {
    const server = newServer();
    const { client } = await connectPair(server);
    const got: string[] = [];
    client.onnotification = (method) => {
      if (LIST_CHANGED.test(method)) got.push(method);
    };
    server.tool('t1', {}, () => ({ content: [] }));
    server.tool('t2', {}, () => ({ content: [] }));
    server.resource('x://a', {}, (uri) => ({ contents: [{ uri, text: '' }] }));
    server.resourceTemplate('tpl', 'x://{id}', {}, (uri) => ({ contents: [{ uri, text: '' }] }));
    server.prompt('p', {}, () => ({ messages: [] }));
    // A ping round trip: what the server sent before answering it has arrived by now.
    await client.ping();
    assert.deepEqual(got.sort(), ['notifications/prompts/list_changed', 'notifications/resources/list_changed', 'notifications/tools/list_changed']);
  });

  it('sends a separate notification for changes in separate ticks', async () => {
    const server = newServer();
    const { client } = await connectPair(server);
    let changes = 0;
    client.onToolsListChanged = () => changes++;
    server.tool('a', {}, () => ({ content: [] }));
    await until(() => changes === 1, WAIT_MS, 'first');
    server.tool('b', {}, () => ({ content: [] }));
    await until(() => changes === 2, WAIT_MS, 'second');
  });

  it('skips sessions that have not sent notifications/initialized', async () => {
    const server = newServer();
    const ready = await connectPair(server);
    const raw = await RawPeer.connect(server);
    await raw.request('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'r', version: '0' } });
    const pre = await RawPeer.connect(server); // not even initialize
    let changes = 0;
    ready.client.onToolsListChanged = () => changes++;
    server.tool('t', {}, () => ({ content: [] }));
    await until(() => changes === 1, WAIT_MS, 'initialized session notified');
    await raw.request('ping');
    const prePong = await pre.request('ping');
    assert.equal(raw.received.filter((m) => LIST_CHANGED.test(m.method ?? '')).length, 0);
    assert.deepEqual(pre.received, [prePong]);
  });

  it('does not disturb other sessions when one has gone away', async () => {
    const server = newServer();
    const errors: Error[] = [];
    server.onerror = (e) => errors.push(e);
    const gone = await connectPair(server);
    const live = await connectPair(server);
    await gone.close();
    let changes = 0;
    live.client.onToolsListChanged = () => changes++;
    server.tool('t', {}, () => ({ content: [] }));
    await until(() => changes === 1, WAIT_MS, 'live session notified');
    assert.deepEqual(errors, []);
  });

  it('advertises listChanged for tools, resources and prompts', async () => {
    const server = newServer();
    const { client } = await connectPair(server);
    assert.equal(client.serverCapabilities?.tools?.listChanged, true);
    assert.equal(client.serverCapabilities?.resources?.listChanged, true);
    assert.equal(client.serverCapabilities?.prompts?.listChanged, true);
  });
});
