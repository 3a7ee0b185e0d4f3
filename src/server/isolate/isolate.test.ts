import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { connectPair, until } from '../../../test/helpers/pair.js';
import { Client } from '../../client/client.js';
import { ErlmcpError, McpError } from '../../protocol/errors.js';
import type { Progress } from '../../engine/outbound.js';
import type { CallToolResult, LoggingMessageNotificationParams, TextContent } from '../../protocol/types.js';
import { StdioClientTransport } from '../../transports/stdio/client.js';
import { McpServer, type ServerOptions } from '../server.js';
import type { WorkerPool } from './pool.js';

const TOOLS = new URL('./fixtures/tools.js', import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'erlmcp-isolate-'));
let stops = 0;
after(() => rmSync(dir, { recursive: true, force: true }));

/** A file path whose creation ends a `spin` call (see fixtures/tools.ts). */
function stopFile(): { path: string; stop(): void } {
  const path = join(dir, `stop-${stops++}`);
  return { path, stop: () => writeFileSync(path, '') };
}

let servers: McpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

function newServer(isolation: ServerOptions['isolation'] = { size: 1 }): McpServer {
  const s = new McpServer({ name: 'isolate-server', version: '1.0.0' }, { isolation });
  servers.push(s);
  for (const name of ['spin', 'cooperative', 'crash', 'report', 'fails', 'unclonable', 'sampler', 'stray']) {
    s.tool(name, { isolate: { module: TOOLS, export: name } });
  }
  s.tool('echo', { isolate: { module: TOOLS } });
  s.tool('inline', {}, () => ({ content: [{ type: 'text', text: 'inline' }] }));
  return s;
}

function text(r: CallToolResult): string {
  return r.content.map((c) => (c as TextContent).text).join('\n');
}

function pool(server: McpServer): WorkerPool {
  assert.ok(server.isolatePool, 'the pool exists after the first isolated call');
  return server.isolatePool;
}

/** Starts a spin call and resolves once the worker reported that it is in its busy loop. */
async function startSpin(client: Client, stopPath: string, signal?: AbortSignal): Promise<{ done: Promise<CallToolResult>; settled(): boolean }> {
  let started!: () => void;
  const inLoop = new Promise<void>((r) => (started = r));
  let settled = false;
  const done = client.callTool({ name: 'spin', arguments: { until: stopPath } }, { signal, onprogress: () => started() });
  done.then(
    () => (settled = true),
    () => (settled = true),
  );
  await inLoop;
  return { done, settled: () => settled };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    (v) => assert.fail(`expected a rejection, got ${JSON.stringify(v)}`),
    (e: unknown) => e,
  );
}

async function threadOf(client: Client): Promise<number> {
  const r = await client.callTool({ name: 'echo', arguments: {} });
  return (r.structuredContent as { threadId: number }).threadId;
}

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

describe('isolated tools: the call itself', () => {
  it('forwards progress and logs to the caller', async () => {
    const server = newServer();
    const { client } = await connectPair(server);
    await client.setLoggingLevel('info');
    const logs: LoggingMessageNotificationParams[] = [];
    client.onLogMessage = (p) => logs.push(p);
    const progress: Progress[] = [];
    const r = await client.callTool({ name: 'report' }, { onprogress: (p) => progress.push(p) });
    assert.equal(text(r), 'reported');
    assert.deepEqual(
      progress.map((p) => [p.progress, p.total, p.message]),
      [
        [1, 2, 'half'],
        [2, 2, undefined],
      ],
    );
    // The session's level applies: the debug line is filtered on the main thread.
    assert.deepEqual(logs, [{ level: 'info', data: { step: 1, tool: 'report' } }]);
  });

  it('validates arguments on the main thread (a bad call starts no worker)', async () => {
    const server = newServer();
    server.tool('typed', { inputSchema: z.object({ n: z.number().int() }), isolate: { module: TOOLS } });
    const { client } = await connectPair(server);
    const bad = await client.callTool({ name: 'typed', arguments: { n: 'x' } });
    assert.equal(bad.isError, true);
    assert.match(text(bad), /Invalid arguments for tool typed/);
    assert.equal(server.isolatePool, undefined);
    const good = await client.callTool({ name: 'typed', arguments: { n: 2 } });
    assert.deepEqual((good.structuredContent as { args: unknown }).args, { n: 2 });
  });

  it('answers arguments an input schema made uncloneable with an isError result', async () => {
    const server = newServer();
    server.tool('transformed', { inputSchema: z.object({ f: z.string().transform((v) => () => v) }), isolate: { module: TOOLS } });
    const { client } = await connectPair(server);
    const r = await client.callTool({ name: 'transformed', arguments: { f: 'x' } });
    assert.equal(r.isError, true);
    assert.match(text(r), /^arguments cannot be passed to the worker thread: /);
    // The worker was not left marked busy: the next call runs.
    const ok = await client.callTool({ name: 'echo', arguments: { f: 'x' } });
    assert.deepEqual((ok.structuredContent as { args: unknown }).args, { f: 'x' });
    assert.equal(pool(server).stats().replaced, 0);
  });

  it('validates structuredContent against the output schema on the main thread', async () => {
    const server = newServer();
    server.tool('structured', { outputSchema: z.object({ n: z.number() }), isolate: { module: TOOLS, export: 'structured' } });
    const { client } = await connectPair(server);
    const good = await client.callTool({ name: 'structured', arguments: { good: true } });
    assert.deepEqual(good.structuredContent, { n: 1 });
    const bad = await client.callTool({ name: 'structured', arguments: { good: false } });
    assert.equal(bad.isError, true);
    assert.match(text(bad), /does not match its output schema/);
  });

  it("turns the handler's own errors into isError results, as for any tool", async () => {
    const server = newServer();
    const { client } = await connectPair(server);
    const failed = await client.callTool({ name: 'fails' });
    assert.equal(failed.isError, true);
    assert.equal(text(failed), 'n must be even');
    const unclonable = await client.callTool({ name: 'unclonable' });
    assert.equal(unclonable.isError, true);
    assert.match(text(unclonable), /^result cannot leave the worker thread: /);
    const sampler = await client.callTool({ name: 'sampler' });
    assert.equal(sampler.isError, true);
    assert.match(text(sampler), /Sampling is not available to isolated tools/);
    assert.equal(pool(server).stats().replaced, 0);
  });

  it('runs a task-augmented call on the pool', async () => {
    const server = new McpServer({ name: 'tasks', version: '1.0.0' }, { isolation: { size: 1 } });
    servers.push(server);
    server.tool('echo', { execution: { taskSupport: 'optional' }, isolate: { module: TOOLS } });
    const { client } = await connectPair(server);
    const { task } = await client.callToolAsTask({ name: 'echo', arguments: { t: 1 } });
    const r = (await client.getTaskResult(task.taskId)) as CallToolResult;
    assert.deepEqual((r.structuredContent as { args: unknown }).args, { t: 1 });
  });
});

describe('isolated tools: scheduling priority', () => {
  const niceOf = async (isolation: ServerOptions['isolation']): Promise<{ thread: number; main: number }> => {
    const server = newServer(isolation);
    server.tool('priority', { isolate: { module: TOOLS, export: 'priority' } });
    const { client } = await connectPair(server);
    return (await client.callTool({ name: 'priority' })).structuredContent as { thread: number; main: number };
  };

  it('runs workers at nice 10 by default and at the given value (never above the process)', { skip: process.platform !== 'linux' && 'reads /proc/thread-self' }, async () => {
    const byDefault = await niceOf({ size: 1 });
    // Raising the nice value needs no privilege; a process already nicer keeps its own value.
    assert.equal(byDefault.thread, Math.max(10, byDefault.main));
    const nice15 = await niceOf({ size: 1, nice: 15 });
    assert.equal(nice15.thread, Math.max(15, nice15.main));
    const off = await niceOf({ size: 1, nice: 0 });
    assert.equal(off.thread, off.main);
  });
});

describe('isolated tools: configuration errors', () => {
  it('answers -32603 naming the tool when the module or export cannot be loaded', async () => {
    const server = newServer();
    server.tool('missing-export', { isolate: { module: TOOLS, export: 'nope' } });
    server.tool('missing-module', { isolate: { module: new URL('./fixtures/absent.js', import.meta.url) } });
    const { client } = await connectPair(server);
    const e1 = await rejection(client.callTool({ name: 'missing-export' }));
    assert.ok(e1 instanceof McpError);
    assert.equal(e1.code, -32603);
    assert.equal(e1.message, `Tool missing-export: ${TOOLS.href} has no function export 'nope'`);
    assert.deepEqual(e1.data, { reason: 'isolate_load', tool: 'missing-export' });
    const e2 = await rejection(client.callTool({ name: 'missing-module' }));
    assert.ok(e2 instanceof McpError);
    assert.match(e2.message, /^Tool missing-module: cannot import file:.*absent\.js: /);
    assert.equal((await client.callTool({ name: 'echo', arguments: { ok: 1 } })).isError, undefined);
  });

  it('accepts an absolute path and refuses a relative one, or a handler with isolate', () => {
    const server = newServer();
    server.tool('by-path', { isolate: { module: fileURLToPath(TOOLS) } });
    assert.throws(() => server.tool('relative', { isolate: { module: './fixtures/tools.js' } }), (e: unknown) => e instanceof ErlmcpError && e.code === 'ERR_INVALID_ARGUMENT' && /absolute path/.test(e.message));
    const both = { isolate: { module: TOOLS } };
    assert.throws(
      () => (server.tool as (n: string, c: unknown, h: unknown) => unknown)('both', both, () => ({ content: [] })),
      (e: unknown) => e instanceof ErlmcpError && /either a handler or config.isolate/.test(e.message),
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

describe('isolated tools over stdio', () => {
  it("sends a worker's stdout to stderr, never onto the protocol stream", async () => {
    const script = fileURLToPath(new URL('./fixtures/stdio-server.js', import.meta.url));
    const transport = new StdioClientTransport({ command: process.execPath, args: [script], stderr: 'pipe' });
    let stderr = '';
    const heard = new Promise<void>((resolve) =>
      transport.stderr?.on('data', (c: Buffer) => {
        stderr += c.toString();
        if (stderr.includes('not-from-the-server')) resolve();
      }),
    );
    const client = new Client({ name: 'stdio', version: '1.0.0' }, { defaultTimeoutMs: 30_000 });
    const noise: string[] = [];
    client.onnotification = (m) => noise.push(m);
    client.onerror = (e) => noise.push(e.message);
    await client.connect(transport);
    try {
      assert.equal(text(await client.callTool({ name: 'chatty' })), 'said hello');
      await heard;
      assert.match(stderr, /hello from an isolated tool/);
      assert.equal(text(await client.callTool({ name: 'echo', arguments: { after: 1 } })), '{"after":1}');
      assert.deepEqual(noise, []);
    } finally {
      await client.close();
    }
    // An idle pool does not keep the process alive: it exits on its own when stdin closes.
    assert.deepEqual(transport.exitStatus, { code: 0, signal: null });
  });
});
