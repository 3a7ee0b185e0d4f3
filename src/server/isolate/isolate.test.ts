/**
 * Isolated tools under stress: a busy loop holds no other session, crashes and stuck calls cost
 * one worker (replaced), the queue is bounded, and the pool closes with the server.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { afterEach, describe, it } from 'node:test';
import { connectPair, until } from '../../../test/helpers/pair.js';
import { ErlmcpError, McpError } from '../../protocol/errors.js';
import { cleanUp, newServer, pool, rejection, startSpin, stopFile, text, threadOf, TOOLS } from './fixtures/harness.js';

afterEach(cleanUp);

describe('isolated tools: other sessions keep being served', () => {
  it('answers session B while session A runs a busy loop on a worker thread', async () => {
    const server = newServer({ size: 2 });
    const a = await connectPair(server, undefined, 'A');
    const b = await connectPair(server, undefined, 'B');
    const { path, stop } = stopFile();
    const spin = await startSpin(a.client, path);
    // The loop only ends when the file exists, which happens after B's calls: every one of
    // them resolving while A is pending shows the event loop was never held.
    for (let i = 0; i < 20; i++) {
      assert.equal(text(await b.client.callTool({ name: 'inline' })), 'inline');
      assert.equal(spin.settled(), false);
    }
    // The second worker serves B's isolated calls meanwhile.
    const r = await b.client.callTool({ name: 'echo', arguments: { from: 'B' } });
    assert.deepEqual((r.structuredContent as { args: unknown }).args, { from: 'B' });
    assert.equal(spin.settled(), false);
    stop();
    assert.match(text(await spin.done), /^spun \d+ ms$/);
    assert.equal(pool(server).stats().replaced, 0);
  });
});

describe('isolated tools: crashes', () => {
  for (const how of ['throw-async', 'exit', 'reject'] as const) {
    it(`fails only the crashing call (${how}) with -32603 naming the tool, and replaces the worker`, async () => {
      const server = newServer({ size: 2 });
      const a = await connectPair(server, undefined, 'A');
      const b = await connectPair(server, undefined, 'B');
      const before = await threadOf(a.client);
      const { path, stop } = stopFile();
      const bSpin = await startSpin(b.client, path);
      const replaced = once(pool(server), 'exit');
      const err = await rejection(a.client.callTool({ name: 'crash', arguments: { how } }));
      assert.ok(err instanceof McpError, String(err));
      assert.equal(err.code, -32603);
      assert.match(err.message, /^Tool crash crashed its worker thread \(.+\); the worker was replaced$/);
      if (how === 'exit') assert.match(err.message, /exit code 3/);
      else assert.match(err.message, how === 'reject' ? /stray rejection/ : /boom from a timer/);
      assert.deepEqual(err.data, { reason: 'isolate_crash', tool: 'crash' });
      assert.deepEqual((await replaced).slice(1), ['crash']);
      // B's call on the other worker goes on; A's next call runs on a new thread.
      assert.equal(bSpin.settled(), false);
      const next = await threadOf(a.client);
      assert.notEqual(next, before);
      stop();
      assert.match(text(await bSpin.done), /^spun/);
      assert.equal(pool(server).stats().replaced, 1);
      assert.ok(pool(server).stats().workers <= 2);
    });
  }

  it('a call handed to a worker that dies before starting it runs on the replacement', async () => {
    const server = newServer({ size: 1 });
    const { client } = await connectPair(server);
    const before = await threadOf(client);
    assert.equal(text(await client.callTool({ name: 'stray' })), 'left a mess');
    // The next message to that worker kills it before the call starts: the call is not lost.
    const next = await threadOf(client);
    assert.notEqual(next, before);
    assert.equal(pool(server).stats().replaced, 1);
  });

  it('a worker over its heap limit is replaced like any crash', async () => {
    const server = newServer({ size: 1, resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 8 } });
    const { client } = await connectPair(server);
    const err = await rejection(client.callTool({ name: 'crash', arguments: { how: 'oom' } }));
    assert.ok(err instanceof McpError);
    assert.equal(err.code, -32603);
    assert.match(err.message, /^Tool crash crashed its worker thread/);
    assert.equal(typeof (await threadOf(client)), 'number');
  });
});

describe('isolated tools: cancellation', () => {
  it('terminates the worker of a cancelled busy loop and replaces it', async () => {
    const server = newServer({ size: 1, cancelGraceMs: 20 });
    const { client } = await connectPair(server);
    const before = await threadOf(client);
    const controller = new AbortController();
    const spin = await startSpin(client, stopFile().path, controller.signal);
    const exit = once(pool(server), 'exit');
    controller.abort('user gave up');
    const err = await rejection(spin.done);
    assert.ok(err instanceof ErlmcpError && err.code === 'ERR_CANCELLED', String(err));
    assert.deepEqual(await exit, [before, 'cancelled']);
    const after = await threadOf(client);
    assert.notEqual(after, before);
    assert.deepEqual(pool(server).stats(), { workers: 1, busy: 0, queued: 0, started: 2, replaced: 1 });
  });

  it("a tool timeout aborts the call, answers -32001 and replaces the busy worker", async () => {
    const server = newServer({ size: 1, cancelGraceMs: 20 });
    server.tool('slow', { timeoutMs: 100, isolate: { module: TOOLS, export: 'spin' } });
    const { client } = await connectPair(server);
    const before = await threadOf(client);
    const exit = once(pool(server), 'exit');
    const err = await rejection(client.callTool({ name: 'slow', arguments: { until: stopFile().path } }));
    assert.ok(err instanceof McpError, String(err));
    assert.equal(err.code, -32001);
    assert.match(err.message, /^Tool slow timed out after 100 ms/);
    assert.deepEqual(await exit, [before, 'cancelled']);
    assert.notEqual(await threadOf(client), before);
  });

  it('keeps the worker of a handler that stops when its signal aborts', async () => {
    const server = newServer({ size: 1, cancelGraceMs: 600_000 });
    const { client } = await connectPair(server);
    const before = await threadOf(client);
    const controller = new AbortController();
    let waiting!: () => void;
    const inside = new Promise<void>((r) => (waiting = r));
    const call = client.callTool({ name: 'cooperative' }, { signal: controller.signal, onprogress: () => waiting() });
    await inside;
    controller.abort('stop');
    await rejection(call);
    // The next call waits for the same worker, freed when the handler returned.
    assert.equal(await threadOf(client), before);
    assert.equal(pool(server).stats().replaced, 0);
  });

  it('drops a cancelled call from the queue', async () => {
    const server = newServer({ size: 1 });
    const { client } = await connectPair(server);
    const { path, stop } = stopFile();
    const spin = await startSpin(client, path);
    const controller = new AbortController();
    const queued = client.callTool({ name: 'echo', arguments: {} }, { signal: controller.signal });
    await until(() => pool(server).stats().queued === 1, 10_000, 'the call to be queued');
    controller.abort();
    await rejection(queued);
    await until(() => pool(server).stats().queued === 0, 10_000, 'the queue to empty');
    stop();
    await spin.done;
  });
});

describe('isolated tools: queue limit', () => {
  it('queues up to maxQueue calls and refuses the next with -32000 isolate_busy', async () => {
    const server = newServer({ size: 1, maxQueue: 2 });
    const { client } = await connectPair(server);
    const { path, stop } = stopFile();
    const spin = await startSpin(client, path);
    const queued = [client.callTool({ name: 'echo', arguments: { n: 1 } }), client.callTool({ name: 'echo', arguments: { n: 2 } })];
    await until(() => pool(server).stats().queued === 2, 10_000, 'two queued calls');
    const err = await rejection(client.callTool({ name: 'echo', arguments: { n: 3 } }));
    assert.ok(err instanceof McpError);
    assert.equal(err.code, -32000);
    assert.equal(err.message, 'Tool echo: all 1 isolated workers are busy and 2 calls are queued (maxQueue 2); retry later');
    assert.deepEqual(err.data, { reason: 'isolate_busy', tool: 'echo', workers: 1, queue: 2 });
    stop();
    await spin.done;
    const results = await Promise.all(queued);
    assert.deepEqual(
      results.map((r) => (r.structuredContent as { args: unknown }).args),
      [{ n: 1 }, { n: 2 }],
    );
  });
});

describe('isolated tools: closing', () => {
  it('server.close() ends running calls and stops every worker', async () => {
    const server = newServer({ size: 2 });
    const { client } = await connectPair(server);
    const spin = await startSpin(client, stopFile().path);
    const p = pool(server);
    await server.close();
    await rejection(spin.done);
    assert.equal(p.stats().workers, 0);
    const err = await rejection(p.run('echo', TOOLS.href, 'default', {}, undefined as never));
    assert.ok(err instanceof McpError && /pool is closed/.test(err.message));
  });
});

