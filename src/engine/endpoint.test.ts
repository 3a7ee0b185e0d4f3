import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { sleep, until, WAIT_MS } from '../../test/helpers/pair.js';
import { SpyTransport } from '../../test/helpers/spy.js';
import { ErlmcpError, McpError } from '../protocol/errors.js';
import type { MessageExtra } from '../protocol/transport.js';
import type { Result } from '../protocol/types.js';
import { InMemoryTransport } from '../transports/memory.js';
import type { RequestContext } from './context.js';
import { Endpoint, type EndpointOptions } from './endpoint.js';

type Handler = (params: Record<string, unknown> | undefined, ctx: RequestContext) => Result | Promise<Result>;

/** A bare JSON-RPC peer: handlers by method, notifications recorded. */
class Peer extends Endpoint {
  handlers: Record<string, Handler> = {};
  notifications: { method: string; params: Record<string, unknown> | undefined }[] = [];
  errors: Error[] = [];
  batch = false;
  constructor(options?: EndpointOptions) {
    super(options);
    this.onerror = (e) => this.errors.push(e);
  }
  protected dispatchRequest(method: string, params: Record<string, unknown> | undefined, ctx: RequestContext): Result | Promise<Result> {
    const h = this.handlers[method];
    if (!h) throw new McpError(-32601, `Method not found: ${method}`);
    return h(params, ctx);
  }
  protected dispatchNotification(method: string, params: Record<string, unknown> | undefined, _extra: MessageExtra | undefined): void {
    if (method === 'explode') throw new Error('notification handler failed');
    this.notifications.push({ method, params });
  }
  protected override batchAllowed(): boolean {
    return this.batch;
  }
}

const open: Peer[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
});

async function pair(aOptions?: EndpointOptions, bOptions?: EndpointOptions) {
  const [ta, tb] = InMemoryTransport.createLinkedPair({ structuredClone: true });
  const sa = new SpyTransport(ta);
  const sb = new SpyTransport(tb);
  const a = new Peer(aOptions);
  const b = new Peer(bOptions);
  open.push(a, b);
  await a.connect(sa);
  await b.connect(sb);
  return { a, b, sa, sb };
}

function errCode(code: string) {
  return (e: unknown) => e instanceof ErlmcpError && e.code === code;
}

describe('Endpoint requests', () => {
  it('correlates concurrent responses that arrive out of order', async () => {
    const { a, b } = await pair();
    b.handlers.echo = async (p) => {
      await sleep(Number(p?.delay));
      return { echo: p?.value };
    };
    const [slow, fast] = await Promise.all([a.request('echo', { value: 'slow', delay: 40 }), a.request('echo', { value: 'fast', delay: 0 })]);
    assert.deepEqual(slow, { echo: 'slow' });
    assert.deepEqual(fast, { echo: 'fast' });
  });

  it('answers synchronous handlers too', async () => {
    const { a, b } = await pair();
    b.handlers.now = () => ({ ok: true });
    assert.deepEqual(await a.request('now'), { ok: true });
  });

  it('rejects with the McpError the handler threw, code, message and data intact', async () => {
    const { a, b } = await pair();
    b.handlers.fail = () => {
      throw new McpError(-32602, 'bad thing', { field: 'x' });
    };
    await assert.rejects(a.request('fail'), (e: unknown) => e instanceof McpError && e.code === -32602 && e.message === 'bad thing' && (e.data as { field: string }).field === 'x');
    assert.equal(b.errors.length, 0);
  });

  it('turns any other thrown error into -32603 and reports it to onerror', async () => {
    const { a, b } = await pair();
    b.handlers.boom = async () => {
      throw new Error('kaboom');
    };
    await assert.rejects(a.request('boom'), (e: unknown) => e instanceof McpError && e.code === -32603 && /kaboom/.test(e.message));
    assert.match(b.errors[0]?.message ?? '', /kaboom/);
  });

  it('answers an unknown method with -32601', async () => {
    const { a } = await pair();
    await assert.rejects(a.request('nope'), (e: unknown) => e instanceof McpError && e.code === -32601);
  });

  it('prefixes outbound ids with idPrefix', async () => {
    const { a, b, sa } = await pair({ idPrefix: 'node7-' });
    b.handlers.x = () => ({});
    await a.request('x');
    await a.request('x');
    assert.deepEqual(
      sa.sent.map((s) => s.message.id),
      ['node7-0', 'node7-1'],
    );
  });

  it('rejects with ERR_NOT_CONNECTED before connect', async () => {
    const p = new Peer();
    await assert.rejects(p.request('x'), errCode('ERR_NOT_CONNECTED'));
    await assert.rejects(p.notify('x'), errCode('ERR_NOT_CONNECTED'));
  });

  it('rejects with the transport error when sending fails, and forgets the request', async () => {
    const { a, sa } = await pair();
    sa.failSend = () => new ErlmcpError('ERR_MESSAGE_TOO_LARGE', 'too big');
    await assert.rejects(a.request('x'), errCode('ERR_MESSAGE_TOO_LARGE'));
    assert.equal(a.hasPending(0), false);
  });
});

describe('Endpoint timeouts and cancellation', () => {
  it('times out with ERR_TIMEOUT, tells the peer, and the peer handler sees the abort and sends nothing', async () => {
    const { a, b, sb } = await pair();
    let aborted = false;
    b.handlers.hang = (_p, ctx) =>
      new Promise((resolve) => {
        ctx.signal.addEventListener('abort', () => {
          aborted = true;
          resolve({ late: true });
        });
      });
    b.handlers.barrier = () => ({});
    await assert.rejects(a.request('hang', undefined, { timeoutMs: 50 }), errCode('ERR_TIMEOUT'));
    await until(() => aborted, WAIT_MS, 'handler abort');
    const cancel = sb.received.find((m) => m.method === 'notifications/cancelled');
    assert.equal(cancel?.params?.requestId, 0);
    assert.match(String(cancel?.params?.reason), /timed out/);
    // A round trip after the abort: a late response would have been sent before its answer.
    await a.request('barrier');
    assert.deepEqual(
      sb.sent.map((s) => s.message.id),
      [1],
      'no response after cancellation, only the barrier\'s',
    );
  });

  it('uses the endpoint default timeout when none is given', async () => {
    const { a, b } = await pair({ defaultTimeoutMs: 40 });
    b.handlers.hang = (_p, ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve({})));
    const started = Date.now();
    await assert.rejects(a.request('hang'), errCode('ERR_TIMEOUT'));
    // Not the general 60 s default (a loose bound: only the order of magnitude matters).
    assert.ok(Date.now() - started < 30_000);
  });

  it('times out a request with a long timeout too (swept, not timed: fires after it, long before a later one)', async () => {
    const { a, b } = await pair();
    b.handlers.hang = (_p, ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve({})));
    const answered = a.request('hang', undefined, { timeoutMs: 60_000 }).catch(() => 'failed');
    const started = Date.now();
    await assert.rejects(a.request('hang', undefined, { timeoutMs: 2100 }), errCode('ERR_TIMEOUT'));
    const took = Date.now() - started;
    // The sweep runs every 250 ms; the upper bound only tells it apart from the 60 s request (no timing claim).
    assert.ok(took >= 2100 && took < 30_000, `timed out after ${took} ms`);
    assert.equal(a.hasPending(0), true, 'the request with 60 s left is still waiting');
    a.close();
    assert.equal(await answered, 'failed');
  });

  it('cancels through an AbortSignal with ERR_CANCELLED and sends notifications/cancelled with the reason', async () => {
    const { a, b, sb } = await pair();
    let observed: unknown;
    b.handlers.hang = (_p, ctx) =>
      new Promise((resolve) => {
        ctx.signal.addEventListener('abort', () => {
          observed = ctx.signal.reason;
          resolve({});
        });
      });
    let started = false;
    const hang = b.handlers.hang;
    b.handlers.hang = (p, ctx) => ((started = true), hang!(p, ctx));
    const ac = new AbortController();
    const p = a.request('hang', undefined, { signal: ac.signal });
    await until(() => started, WAIT_MS, 'handler start');
    ac.abort('user pressed stop');
    await assert.rejects(p, (e: unknown) => e instanceof ErlmcpError && e.code === 'ERR_CANCELLED' && e.message === 'user pressed stop');
    await until(() => observed !== undefined, WAIT_MS, 'handler abort');
    assert.equal(observed, 'user pressed stop');
    const cancel = sb.received.find((m) => m.method === 'notifications/cancelled');
    assert.deepEqual(cancel?.params, { requestId: 0, reason: 'user pressed stop' });
  });

  it('rejects at once for an already-aborted signal', async () => {
    const { a, b } = await pair();
    b.handlers.x = () => ({});
    await assert.rejects(a.request('x', undefined, { signal: AbortSignal.abort(new Error('gone')) }), (e: unknown) => e instanceof ErlmcpError && e.code === 'ERR_CANCELLED' && e.message === 'gone');
  });

  it('does not send notifications/cancelled for initialize', async () => {
    const { a, b, sb } = await pair();
    b.handlers.initialize = () => new Promise(() => {});
    b.handlers.barrier = () => ({});
    await assert.rejects(a.request('initialize', {}, { timeoutMs: 20 }), errCode('ERR_TIMEOUT'));
    await a.request('barrier'); // anything a sent before it has reached b
    assert.equal(sb.received.filter((m) => m.method === 'notifications/cancelled').length, 0);
  });

  it('ignores cancellation of unknown request ids', async () => {
    const { a, b } = await pair();
    b.handlers.x = () => ({ ok: 1 });
    await a.notify('notifications/cancelled', { requestId: 999, reason: 'whatever' });
    assert.deepEqual(await a.request('x'), { ok: 1 });
  });
});

describe('Endpoint progress', () => {
  it('puts a progressToken in _meta, keeps other _meta, and routes progress to onprogress', async () => {
    const { a, b } = await pair();
    let seenMeta: unknown;
    b.handlers.work = async (_p, ctx) => {
      seenMeta = ctx.meta;
      await ctx.progress(1, 3, 'one');
      await ctx.progress(3);
      return {};
    };
    const seen: unknown[] = [];
    await a.request('work', { _meta: { keep: 'me' } }, { onprogress: (p) => seen.push(p) });
    assert.deepEqual(seenMeta, { keep: 'me', progressToken: 0 });
    assert.deepEqual(seen, [
      { progress: 1, total: 3, message: 'one' },
      { progress: 3, total: undefined, message: undefined },
    ]);
  });

  it('sends no progress when the caller did not ask for it', async () => {
    const { a, b, sb } = await pair();
    b.handlers.work = async (_p, ctx) => {
      assert.equal(ctx.progressToken, undefined);
      await ctx.progress(1, 2);
      return {};
    };
    await a.request('work');
    assert.equal(sb.sent.filter((s) => s.message.method === 'notifications/progress').length, 0);
  });

  it('progress restarts the timeout; resetTimeoutOnProgress:false does not; maxTotalTimeoutMs caps it', async () => {
    const { a, b } = await pair();
    b.handlers.tick = async (p, ctx) => {
      for (let i = 0; i < Number(p?.n) && !ctx.signal.aborted; i++) {
        await sleep(50);
        await ctx.progress(i + 1);
      }
      return { done: true };
    };
    // 16 × 50 ms = 800 ms of work against a 600 ms timeout, kept alive by progress. Only the
    // first call depends on timing, with a 12× margin: one 50 ms step would have to take 600 ms.
    assert.deepEqual(await a.request('tick', { n: 16 }, { timeoutMs: 600, onprogress: () => {} }), { done: true });
    await assert.rejects(a.request('tick', { n: 16 }, { timeoutMs: 600, onprogress: () => {}, resetTimeoutOnProgress: false }), errCode('ERR_TIMEOUT'));
    await assert.rejects(a.request('tick', { n: 16 }, { timeoutMs: 600, maxTotalTimeoutMs: 700, onprogress: () => {} }), errCode('ERR_TIMEOUT'));
  });
});

describe('Endpoint nested requests', () => {
  it('tags messages sent from a handler with relatedRequestId and aborts nested requests with the parent', async () => {
    const { a, b, sb } = await pair();
    let nestedError: unknown;
    a.handlers.inner = (_p, ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve({})));
    b.handlers.outer = async (_p, ctx) => {
      await ctx.notify('notifications/message', { level: 'info', data: 'hi' });
      try {
        await ctx.request('inner');
      } catch (e) {
        nestedError = e;
      }
      return {};
    };
    const ac = new AbortController();
    const p = a.request('outer', undefined, { signal: ac.signal });
    await until(() => sb.sent.some((s) => s.message.method === 'inner'), WAIT_MS, 'nested request');
    ac.abort('stop');
    await assert.rejects(p, errCode('ERR_CANCELLED'));
    await until(() => nestedError !== undefined, WAIT_MS, 'nested rejection');
    assert.ok(nestedError instanceof ErlmcpError && nestedError.code === 'ERR_CANCELLED');
    for (const s of sb.sent) assert.deepEqual(s.options, { relatedRequestId: 0 }, String(s.message.method));
    // The nested request was cancelled on the wire too.
    await until(() => sb.sent.some((s) => s.message.method === 'notifications/cancelled'), WAIT_MS, 'nested cancel');
  });
});

describe('Endpoint inbound validation', () => {
  it('answers invalid messages with -32600, echoing the id when it is known', async () => {
    const { sa, sb } = await pair();
    await sa.send({ jsonrpc: '2.0', id: 5, method: 7 } as never);
    await sa.send({ id: 6, method: 'x' } as never);
    await until(() => sa.received.length >= 2, WAIT_MS, 'errors');
    (sb.inner as InMemoryTransport).deliver('just a string');
    await until(() => sa.received.length >= 3, WAIT_MS, 'third error');
    assert.deepEqual(
      sa.received.map((m) => [m.id, m.error?.code]),
      [
        [5, -32600],
        [6, -32600],
        [null, -32600],
      ],
    );
  });

  it('rejects batches unless the subclass allows them', async () => {
    const { a, b, sa, sb } = await pair();
    b.handlers.x = async (p) => ({ n: p?.n });
    const bEnd = sb.inner as InMemoryTransport;
    bEnd.deliver([{ jsonrpc: '2.0', id: 'p1', method: 'x', params: { n: 1 } }]);
    bEnd.deliver([]);
    await until(() => sa.received.length >= 2, WAIT_MS, 'batch errors');
    assert.deepEqual(
      sa.received.map((m) => [m.id, m.error?.code]),
      [
        [null, -32600],
        [null, -32600],
      ],
    );
    await a.request('x', { n: 'barrier' }); // a round trip after the batch
    assert.deepEqual(
      sa.received.slice(2).map((m) => m.result),
      [{ n: 'barrier' }],
      'no element of a rejected batch is processed',
    );
  });

  it('answers an allowed batch with one array once every request is done, including invalid elements, excluding notifications', async () => {
    const { a, b, sa, sb } = await pair();
    b.batch = true;
    b.handlers.x = async (p) => {
      await sleep(Number(p?.delay));
      return { n: p?.n };
    };
    (sb.inner as InMemoryTransport).deliver([
      { jsonrpc: '2.0', id: 'p1', method: 'x', params: { n: 1, delay: 30 } },
      { jsonrpc: '2.0', method: 'hello' },
      { jsonrpc: '2.0', id: 'p2', method: 'x', params: { n: 2, delay: 0 } },
      { jsonrpc: '2.0', id: 'bad', method: 5 },
    ]);
    await until(() => sa.received.length >= 1, WAIT_MS, 'batch reply');
    await a.request('x', { n: 'barrier', delay: 0 }); // a round trip after the batch reply
    assert.equal(sa.received.length, 2, 'exactly one reply (and the barrier\'s)');
    const reply = sa.received[0] as unknown as { id: unknown; result?: unknown; error?: { code: number } }[];
    assert.ok(Array.isArray(reply));
    const byId = new Map(reply.map((r) => [r.id, r]));
    assert.equal(reply.length, 3);
    assert.deepEqual(byId.get('p1')?.result, { n: 1 });
    assert.deepEqual(byId.get('p2')?.result, { n: 2 });
    assert.equal(byId.get('bad')?.error?.code, -32600);
    assert.deepEqual(b.notifications, [{ method: 'hello', params: undefined }]);
  });

  it('leaves a cancelled request out of the batch reply, and sends nothing for a batch of notifications', async () => {
    const { a, b, sa, sb } = await pair();
    b.batch = true;
    b.handlers.hang = (_p, ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve({ late: true })));
    b.handlers.quick = async () => ({ quick: true });
    const bEnd = sb.inner as InMemoryTransport;
    bEnd.deliver([
      { jsonrpc: '2.0', id: 'h', method: 'hang' },
      { jsonrpc: '2.0', id: 'q', method: 'quick' },
    ]);
    await a.request('quick'); // a round trip: 'q' is done, the batch still waits for 'h'
    assert.equal(sa.received.filter((m) => Array.isArray(m)).length, 0, 'the batch waits for every request');
    bEnd.deliver({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'h' } });
    await until(() => sa.received.length >= 2, WAIT_MS, 'batch reply');
    assert.deepEqual(sa.received[1], [{ jsonrpc: '2.0', id: 'q', result: { quick: true } }]);
    bEnd.deliver([
      { jsonrpc: '2.0', method: 'a' },
      { jsonrpc: '2.0', method: 'b' },
    ]);
    await a.request('quick');
    assert.equal(sa.received.length, 3, 'nothing for the batch of notifications, only the barrier\'s answer');
  });

  it('sends batch responses one by one over a transport without sendBatch', async () => {
    const { a, b, sa, sb } = await pair();
    sb.sendBatch = undefined;
    b.batch = true;
    b.handlers.x = async (p) => ({ n: p?.n });
    (sb.inner as InMemoryTransport).deliver([
      { jsonrpc: '2.0', id: 'p1', method: 'x', params: { n: 1 } },
      { jsonrpc: '2.0', id: 'p2', method: 'x', params: { n: 2 } },
    ]);
    await until(() => sa.received.length >= 2, WAIT_MS, 'responses');
    await a.request('x', { n: 'barrier' });
    assert.deepEqual(
      sa.received.map((m) => [m.id, m.result]),
      [
        ['p1', { n: 1 }],
        ['p2', { n: 2 }],
        [0, { n: 'barrier' }],
      ],
    );
  });

  it('accepts an array of responses to its own requests whatever the batch setting', async () => {
    const { a, b, sa } = await pair();
    b.handlers.never = () => new Promise(() => {});
    const p1 = a.request('never');
    const p2 = a.request('never');
    (sa.inner as InMemoryTransport).deliver([
      { jsonrpc: '2.0', id: 1, result: { second: true } },
      { jsonrpc: '2.0', id: 0, error: { code: -32000, message: 'first failed' } },
    ]);
    assert.deepEqual(await p2, { second: true });
    await assert.rejects(p1, (e: unknown) => e instanceof McpError && e.code === -32000);
  });

  it('reports responses for unknown ids to onerror', async () => {
    const { a, sb } = await pair();
    await sb.send({ jsonrpc: '2.0', id: 424242, result: {} });
    await until(() => a.errors.length > 0, WAIT_MS, 'onerror');
    assert.ok(a.errors[0] instanceof ErlmcpError);
    assert.match(a.errors[0]!.message, /424242/);
  });

  it('dispatches notifications and reports a throwing notification handler to onerror', async () => {
    const { a, b } = await pair();
    await a.notify('hello', { x: 1 });
    await a.notify('explode');
    await until(() => b.errors.length > 0, WAIT_MS, 'onerror');
    assert.deepEqual(b.notifications, [{ method: 'hello', params: { x: 1 } }]);
    assert.match(b.errors[0]!.message, /notification handler failed/);
  });
});

describe('Endpoint close', () => {
  it('fails pending requests with ERR_CONNECTION_CLOSED, aborts inbound handlers, and calls onclose', async () => {
    const { a, b } = await pair();
    let inboundAborted = false;
    b.handlers.hang = (_p, ctx) =>
      new Promise((resolve) => {
        ctx.signal.addEventListener('abort', () => {
          inboundAborted = true;
          resolve({});
        });
      });
    let closed = 0;
    a.onclose = () => closed++;
    const p = a.request('hang');
    await until(() => (b as unknown as { inbound: Map<unknown, unknown> }).inbound.size === 1, WAIT_MS, 'inbound');
    await a.close();
    await assert.rejects(p, errCode('ERR_CONNECTION_CLOSED'));
    assert.equal(inboundAborted, true);
    assert.equal(closed, 1);
    assert.equal(a.connected, false);
    await assert.rejects(a.request('x'), errCode('ERR_NOT_CONNECTED'));
  });
});
