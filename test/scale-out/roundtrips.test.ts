/**
 * Issue 4 (7): Redis cost of an ordinary tools/call on a warm session. Counted twice on a
 * private redis-server (so no other test pollutes the numbers): commands the node sends
 * (client side — each is one round trip) and commands Redis executes (INFO commandstats —
 * includes the ones inside our Lua script).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { createEverythingServer } from '../../examples/everything/server.js';
import { Client } from '../../src/client/index.js';
import { connectRedisStores, type RedisStores } from '../../src/stores/redis/index.js';
import { StreamableHttpClientTransport, StreamableHttpServer } from '../../src/transports/http/index.js';
import { requireRedis, startPrivateRedis, testPrefix, type PrivateRedis } from './helpers.js';

const CALLS = 200;

function commandStats(info: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out.set(m[1]!, Number(m[2]));
  return out;
}

describe('Redis round trips per warm tools/call', { concurrency: false, timeout: 240_000 }, () => {
  let redis: PrivateRedis;
  let admin: Redis;
  let stores: RedisStores;
  let http: StreamableHttpServer;
  let client: Client;
  let sent: string[] = [];

  before(async () => {
    redis = await startPrivateRedis();
    admin = await requireRedis(redis.url);
    // A long heartbeat keeps its SETs out of the measured window.
    stores = await connectRedisStores({ url: redis.url, prefix: testPrefix(), heartbeatMs: 60_000 });
    const original = stores.connection.cmd.sendCommand.bind(stores.connection.cmd);
    stores.connection.cmd.sendCommand = ((command: { name: string }, stream?: unknown) => {
      sent.push(command.name);
      return original(command as never, stream as never);
    }) as typeof stores.connection.cmd.sendCommand;
    http = new StreamableHttpServer({ server: createEverythingServer(), ...stores.seams });
    const { url } = await http.listen(0, '127.0.0.1');
    client = new Client({ name: 'roundtrips', version: '1' });
    await client.connect(new StreamableHttpClientTransport(url));
    for (let i = 0; i < 20; i++) await client.callTool({ name: 'echo', arguments: { text: 'warm' } });
  });

  after(async () => {
    await client?.close();
    await http?.close();
    await stores?.close();
    admin?.disconnect();
    await redis?.dispose();
  });

  it(`costs at most one round trip (one script: XADD + PEXPIRE + PUBLISH) per call over ${CALLS} calls`, async () => {
    sent = [];
    await admin.call('CONFIG', 'RESETSTAT');
    for (let i = 0; i < CALLS; i++) await client.callTool({ name: 'echo', arguments: { text: `n${i}` } });
    const stats = commandStats(String(await admin.call('INFO', 'commandstats')));
    stats.delete('info');
    stats.delete('config|resetstat');
    const executed = [...stats.values()].reduce((a, b) => a + b, 0);
    const perCall = sent.length / CALLS;
    console.log(
      `redis per warm tools/call: ${perCall.toFixed(2)} round trips (${[...new Set(sent)].join(', ')}), ${(executed / CALLS).toFixed(2)} commands executed (${[...stats].map(([k, v]) => `${k}=${v}`).join(', ')})`,
    );
    assert.ok(perCall <= 1, `round trips per call: ${perCall} (${sent.slice(0, 10).join(', ')})`);
    assert.equal(sent.filter((c) => c !== 'evalsha').length, 0, `only the append script: ${sent.join(', ')}`);
    assert.equal(stats.get('evalsha'), CALLS);
    assert.ok(executed <= 4 * CALLS, `commands executed: ${executed}`);
  });
});
