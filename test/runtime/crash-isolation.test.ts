/**
 * Issue 9, item 5 (crash isolation), through `erlmcp start`: a tool's stray rejection is logged
 * and costs nothing; a throw inside a setTimeout costs one worker, which the supervisor replaces
 * — the call in flight there gets a clear error, a Redis session continues on the replacement,
 * a memory session is re-created by our client; a crash loop ends the service with a message.
 * Before this work the first two each made `erlmcp start` exit 1.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { Client } from '../../src/client/index.js';
import { McpError } from '../../src/protocol/errors.js';
import { StreamableHttpClientTransport } from '../../src/transports/http/index.js';
import { deleteKeys, requireRedis, testPrefix, REDIS_URL } from '../scale-out/helpers.js';
import { startCli, type CliProcess } from './cli-process.js';

const clients: Client[] = [];
const processes: CliProcess[] = [];
after(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => {})));
  for (const p of processes) p.kill();
});

async function connect(url: string, name: string): Promise<{ client: Client; transport: StreamableHttpClientTransport }> {
  const transport = new StreamableHttpClientTransport(url);
  const client = new Client({ name, version: '1' });
  clients.push(client);
  await client.connect(transport);
  return { client, transport };
}

async function text(client: Client, name: string, args: Record<string, unknown> = {}): Promise<string> {
  const r = await client.callTool({ name, arguments: args });
  return (r.content[0] as { text: string }).text;
}

async function start(args: string[]): Promise<CliProcess> {
  const p = await startCli(args);
  processes.push(p);
  return p;
}

describe('crash isolation under erlmcp start', { concurrency: false, timeout: 120_000 }, () => {
  it('logs a stray rejection with its stack and keeps serving every session in the same worker', async () => {
    const p = await start([]);
    const a = await connect(p.url, 'a');
    const b = await connect(p.url, 'b');
    const pid = await text(a.client, 'whoami');
    const mark = p.lineCount();
    assert.equal(await text(a.client, 'stray_rejection'), 'fired');
    await p.waitForLine(/unhandled promise rejection, serving continues: Error: stray rejection from a tool/, mark);
    assert.match(p.stderr(), /stray rejection from a tool\n\s+at /, 'the stack is logged');
    assert.equal(await text(b.client, 'echo', { text: 'still here' }), 'still here');
    assert.equal(await text(a.client, 'whoami'), pid, 'same worker: nothing was restarted');
    p.child.kill('SIGTERM');
    assert.equal((await p.exited).code, 0);
  });

  it('a throw inside a setTimeout replaces the worker: the call in flight gets a clear error, a Redis session continues', async () => {
    const admin: Redis = await requireRedis();
    const prefix = testPrefix();
    try {
      const p = await start(['--redis', REDIS_URL, '--redis-prefix', prefix]);
      const a = await connect(p.url, 'a');
      const b = await connect(p.url, 'b');
      const sidA = a.transport.sessionId;
      const sidB = b.transport.sessionId;
      const before = await text(a.client, 'whoami');
      const mark = p.lineCount();
      await assert.rejects(a.client.callTool({ name: 'throw_in_timer', arguments: {} }), (e: unknown) => e instanceof McpError && e.code === -32603 && /worker crashed, retry/.test(e.message));
      await p.waitForLine(new RegExp(`worker \\d+ serving \\(replaces ${before}\\)`), mark);
      assert.match(p.stderr(), /uncaught exception; exiting so a supervisor can start a clean replacement: Error: thrown inside setTimeout by a tool/);
      // Both sessions go on, on the replacement, with their ids: no re-initialize.
      const after = await text(b.client, 'whoami');
      assert.notEqual(after, before);
      assert.equal(await text(a.client, 'echo', { text: 'same session' }), 'same session');
      assert.equal(a.transport.sessionId, sidA);
      assert.equal(b.transport.sessionId, sidB);
      p.child.kill('SIGTERM');
      assert.equal((await p.exited).code, 0);
    } finally {
      await deleteKeys(admin, prefix);
      admin.disconnect();
    }
  });

  it('with the memory stores the session dies with its worker; our client re-initializes on the 404', async () => {
    const p = await start([]);
    const a = await connect(p.url, 'a');
    const sid = a.transport.sessionId;
    const before = await text(a.client, 'whoami');
    const mark = p.lineCount();
    await assert.rejects(a.client.callTool({ name: 'throw_in_timer', arguments: {} }), /worker crashed, retry/);
    await p.waitForLine(new RegExp(`serving \\(replaces ${before}\\)`), mark);
    assert.equal(await text(a.client, 'echo', { text: 'new session' }), 'new session');
    assert.notEqual(a.transport.sessionId, sid, 'a new session was created transparently');
    p.child.kill('SIGTERM');
    assert.equal((await p.exited).code, 0);
  });

  it('restarts a crashing worker --max-restarts times within --restart-window, then ends the service with exit 1 and says why', async () => {
    const p = await start(['--max-restarts', '2', '--restart-window', '600000']);
    for (let restart = 1; restart <= 2; restart++) {
      const a = await connect(p.url, `crash-${restart}`);
      const pid = await text(a.client, 'whoami');
      const mark = p.lineCount();
      await assert.rejects(a.client.callTool({ name: 'throw_in_timer', arguments: {} }), /worker crashed/);
      await p.waitForLine(new RegExp(`serving \\(replaces ${pid}\\)`), mark);
      await a.client.close();
    }
    const a = await connect(p.url, 'crash-3');
    await assert.rejects(a.client.callTool({ name: 'throw_in_timer', arguments: {} }), /worker crashed/);
    const { code } = await p.exited;
    assert.equal(code, 1);
    assert.match(p.stderr(), /crash loop: workers failed 3 times within 600 s \(at most 2 restarts allowed\); the last one exited with code 1\. Giving up\./);
    assert.match(p.stderr(), /the service stopped: workers failed 3 times/);
  });
});
