import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryEventStore } from '../../stores/memory-event-store.js';
import { McpServer } from '../../server/index.js';
import { FinishedStreams } from './finished-streams.js';
import { StreamableHttpServer } from './server.js';

/** A MemoryEventStore whose deletions the test can await, one by one. */
function recordingStore(): { store: MemoryEventStore; deleted: string[]; next: () => Promise<string> } {
  const store = new MemoryEventStore();
  const deleted: string[] = [];
  let waiter: ((id: string) => void) | undefined;
  const inner = store.deleteStream.bind(store);
  store.deleteStream = async (id: string) => {
    deleted.push(id);
    await inner(id);
    waiter?.(id);
  };
  return { store, deleted, next: () => new Promise((r) => (waiter = r)) };
}

describe('FinishedStreams', () => {
  it('keeps a finished stream resumable until its grace has passed, then deletes its events', async () => {
    const { store, deleted, next } = recordingStore();
    const stream = 's1/n.1';
    const first = await store.append(stream, { jsonrpc: '2.0', id: 1, result: {} });
    const finished = new FinishedStreams(store, (e) => assert.fail(e), 50, 10);
    const gone = next();
    finished.add(stream);
    assert.deepEqual(deleted, [], 'still there right after the stream ended');
    assert.notEqual(await store.replayAfter(`${stream}#0`, () => {}), undefined, 'a client resuming now finds it');
    // The retention timer is unref'd (it never holds a process open): a guard keeps this test alive.
    const guard = setTimeout(() => assert.fail('the finished stream was never deleted'), 120_000);
    assert.equal(await gone, stream);
    clearTimeout(guard);
    assert.equal(await store.replayAfter(first, () => {}), undefined, 'deleted after the grace');
    assert.equal(finished.size, 0);
  });

  it('holds at most maxStreams: at the limit nothing goes early, one past it the oldest goes', async () => {
    const { store, deleted } = recordingStore();
    const finished = new FinishedStreams(store, (e) => assert.fail(e), 60_000, 3);
    for (const id of ['a/1', 'b/1', 'c/1']) finished.add(id);
    assert.equal(finished.size, 3);
    assert.deepEqual(deleted, []);
    finished.add('d/1');
    assert.equal(finished.size, 3);
    assert.deepEqual(deleted, ['a/1']);
    finished.close();
    assert.deepEqual(deleted.sort(), ['a/1', 'b/1', 'c/1', 'd/1']);
    assert.equal(finished.size, 0);
  });
});

describe('StreamableHttpServer({ finishedStreams })', () => {
  const ACCEPT = 'application/json, text/event-stream';
  async function finishedCall(options: { graceMs?: number; max?: number }, t: import('node:test').TestContext): Promise<{ url: string; headers: Record<string, string>; lastEventId: string }> {
    const server = new McpServer({ name: 't', version: '1' });
    server.tool('echo', { description: 'echo' }, () => ({ content: [{ type: 'text', text: 'hi' }] }));
    const http = new StreamableHttpServer({ server, finishedStreams: options });
    const { url } = await http.listen(0);
    t.after(() => http.close());
    const init = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: ACCEPT }, body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } }) });
    const headers = { 'mcp-session-id': init.headers.get('mcp-session-id')!, 'mcp-protocol-version': '2025-11-25' };
    await init.text();
    await (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: ACCEPT, ...headers }, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) })).text();
    const call = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: ACCEPT, ...headers }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: {} } }) });
    const text = await call.text();
    const lastEventId = [...text.matchAll(/^id: (.+)$/gm)].at(0)![1]!;
    return { url, headers, lastEventId };
  }
  const resume = (c: { url: string; headers: Record<string, string>; lastEventId: string }) => fetch(c.url, { headers: { ...c.headers, accept: 'text/event-stream', 'last-event-id': c.lastEventId } });

  it('by default, a finished call is still replayed to a client resuming after it ended', async (t) => {
    const c = await finishedCall({}, t);
    const r = await resume(c);
    assert.equal(r.status, 200);
    assert.match(await r.text(), /"id":1/);
  });

  it('with max 0, a finished call is forgotten: resuming it is 404', async (t) => {
    const c = await finishedCall({ max: 0 }, t);
    // The deletion runs once the answer is flushed, which may be a moment after the client read
    // it: each attempt waits on the server's answer to the previous one, within a generous deadline.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const r = await resume(c);
      await r.text();
      if (r.status === 404) break;
      assert.ok(Date.now() < deadline, 'the finished stream was never forgotten');
    }
  });
});
