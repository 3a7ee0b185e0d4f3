import assert from 'node:assert/strict';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import type { JSONRPCMessage } from '../../protocol/types.js';
import { headerList, SseWriter } from './sse-writer.js';

const note = (i: number, size: number): JSONRPCMessage => ({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: `${i}:${'x'.repeat(size)}` } });

/** A server whose one response is handed to `serve`; returns the client's (paused) response. */
async function serveOne(t: TestContext, serve: (res: ServerResponse) => void): Promise<IncomingMessage> {
  const srv = createServer((_req, res) => serve(res));
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    srv.closeAllConnections();
    return new Promise((resolve) => srv.close(resolve));
  });
  return new Promise((resolve, reject) => {
    const req = request(`http://127.0.0.1:${(srv.address() as AddressInfo).port}/`, { agent: false }, (res) => {
      res.pause();
      res.on('error', () => {});
      resolve(res);
    });
    req.on('error', reject);
    req.end();
  });
}

function readAll(res: IncomingMessage): Promise<{ bytes: number; complete: boolean }> {
  return new Promise((resolve) => {
    let bytes = 0;
    res.on('data', (c: Buffer) => (bytes += c.length));
    res.once('close', () => resolve({ bytes, complete: res.complete }));
    res.resume();
  });
}

it('ends live output that piles past maxBufferedBytes when its producer does not wait, keeping what was queued', async (t) => {
  let writer: SseWriter | undefined;
  const res = await serveOne(t, (r) => {
    const w = (writer = new SseWriter(r, undefined, { maxBufferedBytes: 2 * 1024 * 1024, stallTimeoutMs: 60_000 }));
    w.prime('s#0', 1000);
    // 32 MiB in one tick, never awaiting drained(): far past the 2 MiB bound.
    for (let i = 1; i <= 512; i++) w.event(`s#${i}`, note(i, 64 * 1024));
  });
  let text = '';
  res.setEncoding('utf8');
  res.on('data', (c: string) => (text += c));
  const closed = new Promise((resolve) => res.once('close', resolve));
  res.resume();
  await closed;
  assert.ok(writer!.closed);
  const ids = [...text.matchAll(/^id: (.+)$/gm)].map((m) => m[1]);
  assert.equal(ids[0], 's#0', 'the priming id reached the client, so it can resume');
  assert.ok(ids.length > 2 && ids.length < 100, `${ids.length} events before the end`);
  assert.ok(text.endsWith('\n\n'), 'the stream ended on an event boundary');
});

it('cuts a response that ended with a backlog its reader never takes, after stallTimeoutMs', async (t) => {
  let finished = false;
  let closed = false;
  const res = await serveOne(t, (r) => {
    r.once('finish', () => (finished = true));
    r.once('close', () => (closed = true));
    const w = new SseWriter(r, undefined, { stallTimeoutMs: 150 });
    void (async () => {
      // Waits as a well-behaved producer does, so only the stall check can end it.
      for (let i = 0; i < 400 && !w.closed; i++) {
        const pending = w.replay(`s#${i}`, note(i, 64 * 1024));
        if (pending) await pending;
      }
      w.end();
    })();
  });
  const began = Date.now();
  // Only the stall check can end the response (the producer waits politely, nobody reads); the
  // bound is a backstop, not a timing claim.
  while (!closed && Date.now() - began < 30_000) await new Promise((r) => setTimeout(r, 20));
  assert.ok(closed, `the server gave up on the stuck reader (waited ${Date.now() - began} ms)`);
  const got = await readAll(res);
  assert.equal(got.complete, false, 'the stuck response was cut');
  assert.equal(finished, false, "a cut response never emits 'finish' (its stream stays resumable)");
});

describe('headerList', () => {
  it('puts the fixed headers first, adds the caller\'s, expands arrays, and never lets a caller override a fixed one', () => {
    const list = headerList({ 'mcp-session-id': 's1', 'content-type': 'text/html', 'x-many': ['a', 'b'], 'x-none': undefined }, ['content-type', 'text/event-stream']);
    assert.deepEqual(list, ['content-type', 'text/event-stream', 'mcp-session-id', 's1', 'x-many', 'a', 'x-many', 'b']);
  });
});
