import assert from 'node:assert/strict';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, it } from 'node:test';
import type { ErlmcpError } from '../../protocol/errors.js';
import { StdioClientTransport, getDefaultEnvironment, type StdioServerParameters } from './client.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}.js`, import.meta.url));

const open: StdioClientTransport[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

function create(params: StdioServerParameters): { transport: StdioClientTransport; next: () => Promise<unknown>; errors: Error[] } {
  const transport = new StdioClientTransport(params);
  open.push(transport);
  const queue: unknown[] = [];
  const waiters: ((m: unknown) => void)[] = [];
  const errors: Error[] = [];
  transport.onmessage = (m) => {
    const w = waiters.shift();
    if (w) w(m);
    else queue.push(m);
  };
  transport.onerror = (e) => errors.push(e);
  const next = (): Promise<unknown> => (queue.length > 0 ? Promise.resolve(queue.shift()) : new Promise((r) => waiters.push(r)));
  return { transport, next, errors };
}

const node = (script: string, extra?: Partial<StdioServerParameters>): StdioServerParameters => ({ command: process.execPath, args: ['-e', script], ...extra });

describe('StdioClientTransport', () => {
  it('round-trips messages through a spawned server', async () => {
    const { transport, next } = create({ command: process.execPath, args: [fixture('echo-server')] });
    await transport.start();
    assert.equal(typeof transport.pid, 'number');
    await transport.send({ jsonrpc: '2.0', method: 'notifications/hello', params: { text: 'héllo\nworld' } });
    await transport.send({ jsonrpc: '2.0', id: 'a', method: 'tools/list' });
    assert.deepEqual(await next(), { jsonrpc: '2.0', method: 'notifications/hello', params: { text: 'héllo\nworld' } });
    assert.deepEqual(await next(), { jsonrpc: '2.0', id: 'a', method: 'tools/list' });
  });

  it('gives the server only allow-listed variables plus the ones passed in env', async () => {
    process.env.ERLMCP_TEST_SECRET = 'parent-secret';
    try {
      assert.equal(getDefaultEnvironment().ERLMCP_TEST_SECRET, undefined);
      const { transport, next } = create({ command: process.execPath, args: [fixture('echo-server')], env: { ERLMCP_TEST_PASSED: 'given' } });
      await transport.start();
      await transport.send({ jsonrpc: '2.0', id: 1, method: 'env', params: { names: ['ERLMCP_TEST_SECRET', 'ERLMCP_TEST_PASSED', 'PATH', 'NODE_OPTIONS'] } });
      const reply = (await next()) as { result: { values: Record<string, string | null> } };
      assert.equal(reply.result.values.ERLMCP_TEST_SECRET, null);
      assert.equal(reply.result.values.ERLMCP_TEST_PASSED, 'given');
      assert.equal(reply.result.values.NODE_OPTIONS, null);
      assert.equal(reply.result.values.PATH, process.env.PATH ?? null);
    } finally {
      delete process.env.ERLMCP_TEST_SECRET;
    }
  });

  it('kills a server that ignores stdin EOF and SIGTERM within the shutdown bound', async () => {
    const { transport, next } = create({ command: process.execPath, args: [fixture('stubborn')], shutdownTimeoutMs: 200, stderr: 'ignore' });
    let closes = 0;
    transport.onclose = () => closes++;
    await transport.start();
    assert.deepEqual(await next(), { jsonrpc: '2.0', method: 'ready' });
    const pid = transport.pid!;
    const started = Date.now();
    await transport.close();
    const elapsed = Date.now() - started;
    assert.deepEqual(transport.exitStatus, { code: null, signal: 'SIGKILL' });
    // Without SIGKILL close() would never end; the bound is loose (spawn and signals are slow on a loaded machine).
    assert.ok(elapsed < 30_000, `close took ${elapsed} ms`);
    assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' });
    assert.equal(closes, 1);
    await transport.close();
    assert.equal(closes, 1);
  });

  it('lets a well-behaved server exit on stdin EOF', async () => {
    const { transport } = create({ command: process.execPath, args: [fixture('echo-server')], shutdownTimeoutMs: 5000 });
    await transport.start();
    await transport.close();
    assert.deepEqual(transport.exitStatus, { code: 0, signal: null });
  });

  it('rejects start() with a clear ERR_TRANSPORT error when the command does not exist', async () => {
    const transport = new StdioClientTransport({ command: 'erlmcp-no-such-command-xyz' });
    let closes = 0;
    transport.onclose = () => closes++;
    await assert.rejects(transport.start(), (e: ErlmcpError) => {
      assert.equal(e.name, 'ErlmcpError');
      assert.equal(e.code, 'ERR_TRANSPORT');
      assert.match(e.message, /erlmcp-no-such-command-xyz/);
      assert.match(e.message, /ENOENT/);
      return true;
    });
    await transport.close();
    assert.equal(closes, 0);
  });

  it('fires onclose once when the server exits on its own', async () => {
    const { transport } = create(node('process.exit(3)'));
    const closed = new Promise<void>((resolve) => (transport.onclose = resolve));
    await transport.start();
    await closed;
    assert.deepEqual(transport.exitStatus, { code: 3, signal: null });
    await assert.rejects(transport.send({ jsonrpc: '2.0', method: 'x' }), { code: 'ERR_CONNECTION_CLOSED' });
  });

  it('reports unparsable and oversized lines from the server via onerror and keeps reading', async () => {
    const script = `process.stdout.write('not json\\n' + JSON.stringify({ jsonrpc: '2.0', id: 5, result: { pad: 'x'.repeat(500) } }) + '\\n{"jsonrpc":"2.0","method":"after"}\\n')`;
    const { transport, next, errors } = create(node(script, { maxMessageBytes: 100 }));
    await transport.start();
    assert.deepEqual(await next(), { jsonrpc: '2.0', method: 'after' });
    assert.deepEqual(
      errors.map((e) => (e as ErlmcpError).code),
      ['ERR_TRANSPORT', 'ERR_MESSAGE_TOO_LARGE'],
    );
    assert.match(errors[0]!.message, /not JSON/);
    assert.match(errors[1]!.message, /id 5/);
  });

  it('exposes the server stderr when stderr is "pipe"', async () => {
    const { transport } = create(node(`process.stderr.write('log line from server\\n')`, { stderr: 'pipe' }));
    const stderr = transport.stderr;
    assert.ok(stderr);
    let text = '';
    stderr.on('data', (c: Buffer) => (text += c.toString()));
    await transport.start();
    await once(stderr, 'end');
    assert.equal(text, 'log line from server\n');
  });
});
