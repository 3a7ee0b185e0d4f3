import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SpyTransport } from '../../test/helpers/spy.js';
import { poolServer } from '../../test/pool/fixtures/pool-server.js';
import { ErlmcpError } from '../protocol/errors.js';
import { InMemoryTransport } from '../transports/memory.js';
import { Client } from './client.js';

async function connect(protocolVersion?: string) {
  const [ct, st] = InMemoryTransport.createLinkedPair();
  await poolServer().connect(st);
  const spy = new SpyTransport(ct);
  const client = new Client({ name: 'batch-unit', version: '1.0.0' }, protocolVersion === undefined ? {} : { protocolVersion });
  await client.connect(spy);
  return { client, spy };
}

const CALLS = [
  { method: 'tools/call', params: { name: 'echo', arguments: { text: 'a' } } },
  { method: 'ping' },
  { method: 'tools/call', params: { name: 'echo', arguments: { text: 'b' } } },
];

describe('client.batch()', () => {
  it('hands a 2025-03-26 batch to the transport as one array', async () => {
    const { client, spy } = await connect('2025-03-26');
    const r = await client.batch(CALLS);
    assert.deepEqual(
      r.map((x) => x.status),
      ['fulfilled', 'fulfilled', 'fulfilled'],
    );
    assert.equal(spy.batches.length, 1);
    assert.deepEqual(
      spy.batches[0]!.map((m) => m.method),
      ['tools/call', 'ping', 'tools/call'],
    );
    await client.close();
  });

  it('sends the calls one by one (pipelined) on a later revision', async () => {
    const { client, spy } = await connect();
    const before = spy.sent.length;
    const r = await client.batch(CALLS);
    assert.equal(r.length, 3);
    assert.equal(spy.batches.length, 0);
    assert.equal(spy.sent.length - before, 3);
    await client.close();
  });

  it('fails every call of a batch whose send failed, each on its own', async () => {
    const { client, spy } = await connect('2025-03-26');
    spy.sendBatch = () => Promise.reject(new ErlmcpError('ERR_TRANSPORT', 'wire cut'));
    const r = await client.batch(CALLS);
    assert.equal(r.length, 3);
    for (const x of r) assert.ok(x.status === 'rejected' && x.reason instanceof ErlmcpError && x.reason.message === 'wire cut');
    // The session still serves single calls.
    assert.deepEqual(await client.ping(), {});
    await client.close();
  });

  it('reports a call a middleware refused without sending it, and sends the rest as one batch', async () => {
    const { client, spy } = await connect('2025-03-26');
    client.use((call, next) => (call.method === 'ping' ? Promise.reject(new ErlmcpError('ERR_CAPABILITY', 'no pings')) : next()));
    const r = await client.batch(CALLS);
    assert.equal(r[0]!.status, 'fulfilled');
    const refused = r[1]!;
    assert.ok(refused.status === 'rejected' && (refused.reason as ErlmcpError).code === 'ERR_CAPABILITY');
    assert.equal(r[2]!.status, 'fulfilled');
    assert.equal(spy.batches.length, 1);
    assert.equal(spy.batches[0]!.length, 2);
    await client.close();
  });
});
