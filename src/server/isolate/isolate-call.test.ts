/**
 * One isolated call: progress and logs forwarded, schemas checked on the main thread, handler
 * errors as isError results, configuration errors, worker priority, stdout kept off a stdio
 * server's protocol stream, and the 2026-07-28 (sessionless) request shape.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { connectPair, RawPeer } from '../../../test/helpers/pair.js';
import { Client } from '../../client/client.js';
import type { Progress } from '../../engine/outbound.js';
import { ErlmcpError, McpError } from '../../protocol/errors.js';
import { META, MODERN_PROTOCOL_VERSIONS } from '../../protocol/eras.js';
import type { CallToolResult, LoggingMessageNotificationParams } from '../../protocol/types.js';
import { StdioClientTransport } from '../../transports/stdio/client.js';
import type { ServerOptions } from '../server.js';
import { cleanUp, newServer, pool, rejection, text, TOOLS } from './fixtures/harness.js';

afterEach(cleanUp);

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

  it('serves a 2026-07-28 request (no session): progress, and logs at its envelope level', async () => {
    const server = newServer();
    const peer = await RawPeer.connect(server);
    const _meta = { [META.protocolVersion]: MODERN_PROTOCOL_VERSIONS[0], [META.clientCapabilities]: {}, [META.logLevel]: 'info', progressToken: 'p' };
    await peer.send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'report', arguments: {}, _meta } });
    const r = await peer.response(1, 30_000);
    assert.deepEqual(r.result?.content, [{ type: 'text', text: 'reported' }]);
    // Everything the worker sent arrived before the response, in order.
    assert.deepEqual(
      peer.received.filter((m) => m.method !== undefined).map((m) => [m.method, m.params?.progress ?? m.params?.level]),
      [
        ['notifications/progress', 1],
        ['notifications/message', 'info'],
        ['notifications/progress', 2],
      ],
    );
    await peer.close();
  });

  it('runs a task-augmented call on the pool', async () => {
    const server = newServer();
    server.tool('task-echo', { execution: { taskSupport: 'optional' }, isolate: { module: TOOLS } });
    const { client } = await connectPair(server);
    const { task } = await client.callToolAsTask({ name: 'task-echo', arguments: { t: 1 } });
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
