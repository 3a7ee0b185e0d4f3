import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, test } from 'node:test';
import { ErlmcpError } from '../../protocol/errors.js';
import type { JSONRPCMessage } from '../../protocol/types.js';
import { StreamableHttpClientTransport, type StreamableHttpClientTransportOptions } from './client.js';

// A hand-written server side: each test decides every status, header and byte.
interface Seen {
  method: string;
  headers: http.IncomingHttpHeaders;
  body: { id?: number | string; method?: string } | undefined;
  at: number;
}
type Handler = (req: Seen, res: http.ServerResponse) => void;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serve(handler: Handler): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (data += c));
    req.on('end', () => {
      const s: Seen = { method: req.method ?? '', headers: req.headers, body: data ? JSON.parse(data) : undefined, at: performance.now() };
      seen.push(s);
      handler(s, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, seen };
}

function transport(url: string, options?: StreamableHttpClientTransportOptions) {
  const t = new StreamableHttpClientTransport(url, options);
  const got: unknown[] = [];
  const errors: Error[] = [];
  t.onmessage = (m) => got.push(m);
  t.onerror = (e) => errors.push(e);
  cleanups.push(() => t.close());
  return { t, got, errors };
}

function json(res: http.ServerResponse, body: unknown, headers: Record<string, string> = {}, status = 200): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
function sseHead(res: http.ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.flushHeaders();
}
function sse(res: http.ServerResponse, e: { id?: string; retry?: number; data: unknown }): void {
  let s = '';
  if (e.id !== undefined) s += `id: ${e.id}\n`;
  if (e.retry !== undefined) s += `retry: ${e.retry}\n`;
  s += `data: ${typeof e.data === 'string' ? e.data : JSON.stringify(e.data)}\n\n`;
  res.write(s);
}
async function waitFor(cond: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
const req = (id: number, method = 'ping'): JSONRPCMessage => ({ jsonrpc: '2.0', id, method });
const result = (id: number | string | undefined, r: object = {}) => ({ jsonrpc: '2.0', id, result: r });

test('a JSON response body is delivered, and the POST carries both accept types', async () => {
  const { url, seen } = await serve((r, res) => json(res, result(r.body?.id, { ok: true })));
  const { t, got } = transport(url);
  await t.start();
  await t.send(req(1));
  assert.deepEqual(got, [result(1, { ok: true })]);
  assert.equal(seen[0]?.method, 'POST');
  assert.equal(seen[0]?.headers['content-type'], 'application/json');
  assert.match(seen[0]?.headers.accept ?? '', /application\/json/);
  assert.match(seen[0]?.headers.accept ?? '', /text\/event-stream/);
});

test('a JSON array response delivers each message', async () => {
  const { url } = await serve((r, res) => json(res, [{ jsonrpc: '2.0', method: 'notifications/message', params: {} }, result(r.body?.id)]));
  const { t, got } = transport(url);
  await t.send(req(7));
  assert.equal(got.length, 2);
  assert.deepEqual(got[1], result(7));
});

test('an SSE response delivers a notification before the result, skipping the priming event', async () => {
  const progress = { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 1, progress: 1 } };
  const { url } = await serve((r, res) => {
    sseHead(res);
    sse(res, { id: 'p0', data: '' });
    sse(res, { id: 'p1', data: progress });
    sse(res, { id: 'p2', data: result(r.body?.id, { done: 1 }) });
    res.end();
  });
  const { t, got, errors } = transport(url);
  await t.send(req(1));
  await waitFor(() => got.length === 2);
  assert.deepEqual(got, [progress, result(1, { done: 1 })]);
  assert.deepEqual(errors, []);
});

test('202 to a notification resolves send and delivers nothing', async () => {
  const { url } = await serve((_r, res) => {
    res.writeHead(202);
    res.end();
  });
  const { t, got } = transport(url);
  await t.send({ jsonrpc: '2.0', method: 'notifications/roots/list_changed' });
  assert.deepEqual(got, []);
});

test('the session id from initialize is sent on later requests with mcp-protocol-version', async () => {
  const { url, seen } = await serve((r, res) => {
    if (r.body?.method === 'initialize') return json(res, result(r.body.id), { 'mcp-session-id': 'sess-1' });
    if (r.body?.id === undefined) {
      res.writeHead(r.method === 'GET' ? 405 : 202);
      return res.end();
    }
    json(res, result(r.body.id));
  });
  const { t } = transport(url);
  await t.send(req(0, 'initialize'));
  assert.equal(t.sessionId, 'sess-1');
  t.setProtocolVersion('2025-11-25');
  assert.equal(t.protocolVersion, '2025-11-25');
  await t.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  await t.send(req(1));
  assert.equal(seen[0]?.headers['mcp-session-id'], undefined);
  for (const s of seen.slice(1)) {
    assert.equal(s.headers['mcp-session-id'], 'sess-1');
    assert.equal(s.headers['mcp-protocol-version'], '2025-11-25');
  }
});

test('a POST stream closed before the result is resumed by GET with Last-Event-ID after `retry` ms', async () => {
  let closedAt = 0;
  const { url, seen } = await serve((r, res) => {
    sseHead(res);
    if (r.method === 'POST') {
      sse(res, { id: 'ev-1', retry: 500, data: '' });
      closedAt = performance.now();
      return res.end();
    }
    sse(res, { id: 'ev-2', data: result(5, { resumed: true }) });
    res.end();
  });
  // The client's own first delay is a minute: reconnecting well before shows the hint was used.
  const { t, got, errors } = transport(url, { reconnection: { initialDelayMs: 60_000 } });
  await t.send(req(5, 'tools/call'));
  await waitFor(() => got.length === 1);
  assert.deepEqual(got, [result(5, { resumed: true })]);
  const get = seen[1];
  assert.equal(get?.method, 'GET');
  assert.equal(get?.headers['last-event-id'], 'ev-1');
  const delay = (get?.at ?? 0) - closedAt;
  assert.ok(delay >= 400 && delay < 30_000, `reconnected after ${delay} ms`);
  // Every stream task has ended: nothing is left to poll with.
  await waitFor(() => t.openStreams === 0);
  assert.equal(seen.length, 2, 'no further polling once the result arrived');
  assert.deepEqual(errors, []);
});

test('cancelling a request stops polling for its response', async () => {
  const { url, seen } = await serve((r, res) => {
    if (r.body?.method === 'notifications/cancelled') {
      res.writeHead(202);
      return res.end();
    }
    sseHead(res);
    sse(res, { id: 'c-1', retry: 1000, data: '' });
    res.end();
  });
  const { t } = transport(url);
  await t.send(req(9, 'tools/call'));
  // The cancel follows at once; only a 1 s stall between these two lines could let the poll
  // start first. The stream's task then ends without polling (a poll would be a GET).
  await t.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 9 } });
  await waitFor(() => t.openStreams === 0);
  assert.deepEqual(seen.map((s) => s.method), ['POST', 'POST']);
});

test('the standalone GET stream delivers server messages and reconnects after `retry` with Last-Event-ID', async () => {
  const note = { jsonrpc: '2.0', method: 'notifications/tools/list_changed' };
  let droppedAt = 0;
  const { url, seen } = await serve((r, res) => {
    if (r.method === 'POST') {
      res.writeHead(202);
      return res.end();
    }
    sseHead(res);
    if (r.headers['last-event-id'] === undefined) {
      sse(res, { id: 's-1', retry: 500, data: '' });
      sse(res, { id: 's-2', data: note });
      droppedAt = performance.now();
      res.end();
    }
  });
  // The client's own first delay is a minute: reconnecting well before shows `retry` was used.
  const { t, got } = transport(url, { sessionId: 'sess-9', reconnection: { initialDelayMs: 60_000 } });
  await t.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  await waitFor(() => seen.filter((s) => s.method === 'GET').length === 2);
  assert.deepEqual(got, [note]);
  const [first, second] = seen.filter((s) => s.method === 'GET');
  assert.equal(first?.headers.accept, 'text/event-stream');
  assert.equal(first?.headers['mcp-session-id'], 'sess-9');
  assert.equal(second?.headers['last-event-id'], 's-2');
  const delay = (second?.at ?? 0) - droppedAt;
  assert.ok(delay >= 400 && delay < 30_000, `reconnected after ${delay} ms`);
});

test('405 to the standalone GET means no stream: the client does not retry', async () => {
  const { url, seen } = await serve((_r, res) => {
    res.writeHead(_r.method === 'GET' ? 405 : 202);
    res.end();
  });
  const { t, errors } = transport(url, { reconnection: { initialDelayMs: 10 } });
  await t.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  // The standalone stream's task ends on the 405 instead of scheduling a retry.
  await waitFor(() => seen.some((s) => s.method === 'GET') && t.openStreams === 0);
  assert.equal(seen.filter((s) => s.method === 'GET').length, 1);
  assert.deepEqual(errors, []);
});

test('a failing standalone GET backs off and gives up after maxRetries with an error', async () => {
  const { url, seen } = await serve((r, res) => {
    res.writeHead(r.method === 'GET' ? 503 : 202);
    res.end();
  });
  const { t, errors } = transport(url, { reconnection: { initialDelayMs: 20, growFactor: 2, maxRetries: 3 } });
  await t.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  await waitFor(() => errors.length === 1);
  const gets = seen.filter((s) => s.method === 'GET');
  assert.equal(gets.length, 4, 'first attempt + 3 retries');
  const gaps = gets.slice(1).map((g, i) => g.at - (gets[i]?.at ?? 0));
  assert.ok((gaps[2] ?? 0) > (gaps[0] ?? 0), `backoff grows: ${gaps.map(Math.round).join(', ')}`);
  assert.ok(errors[0] instanceof ErlmcpError && errors[0].code === 'ERR_TRANSPORT');
});

test('404 while holding a session id: ERR_SESSION_EXPIRED, session id cleared, hook called', async () => {
  const { url } = await serve((_r, res) => {
    res.writeHead(404);
    res.end('gone');
  });
  const { t } = transport(url, { sessionId: 'old' });
  let expired = 0;
  t.onsessionexpired = () => expired++;
  await assert.rejects(t.send(req(1)), (e: unknown) => e instanceof ErlmcpError && e.code === 'ERR_SESSION_EXPIRED');
  assert.equal(t.sessionId, undefined);
  assert.equal(expired, 1);
  // Without a session, 404 is an ordinary transport failure.
  await assert.rejects(t.send(req(2)), (e: unknown) => e instanceof ErlmcpError && e.code === 'ERR_TRANSPORT' && /HTTP 404: gone/.test(e.message));
});

test('500 with a JSON-RPC error body delivers the error before send rejects', async () => {
  const error = { jsonrpc: '2.0', id: 3, error: { code: -32603, message: 'boom' } };
  const { url } = await serve((_r, res) => json(res, error, {}, 500));
  const { t, got } = transport(url);
  let deliveredFirst = false;
  t.onmessage = (m) => {
    got.push(m);
    deliveredFirst = true;
  };
  await assert.rejects(t.send(req(3)), (e: unknown) => e instanceof ErlmcpError && e.code === 'ERR_TRANSPORT' && e.message.startsWith('HTTP 500:') && deliveredFirst);
  assert.deepEqual(got, [error]);
});

test('terminateSession sends DELETE with the session id and clears it; 405 is tolerated', async () => {
  let status = 200;
  const { url, seen } = await serve((_r, res) => {
    res.writeHead(status);
    res.end();
  });
  const { t } = transport(url, { sessionId: 'to-end' });
  await t.terminateSession();
  assert.equal(seen[0]?.method, 'DELETE');
  assert.equal(seen[0]?.headers['mcp-session-id'], 'to-end');
  assert.equal(t.sessionId, undefined);

  status = 405;
  const other = transport(url, { sessionId: 'no-delete' }).t;
  await other.terminateSession();
  assert.equal(other.sessionId, undefined);
  await other.terminateSession(); // no session: nothing to send
  assert.equal(seen.length, 2);
});

test('3000 sequential requests leave no abort listeners behind and no MaxListeners warning', async () => {
  const { url } = await serve((r, res) => json(res, result(r.body?.id)));
  const signals: AbortSignal[] = [];
  const fetchSpy: typeof fetch = (input, init) => {
    if (init?.signal) signals.push(init.signal);
    return fetch(input, init);
  };
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  process.on('warning', onWarning);
  try {
    const { t, got } = transport(url, { fetch: fetchSpy });
    for (let i = 0; i < 3000; i++) await t.send(req(i));
    await new Promise((r) => setImmediate(r));
    assert.equal(got.length, 3000);
    assert.equal(new Set(signals).size, 3000, 'one AbortController per request');
    assert.ok(getEventListeners(signals[2999]!, 'abort').length <= 1);
    await t.close();
    // Finished requests were released: close() had nothing of theirs left to abort.
    assert.equal(signals.filter((s) => s.aborted).length, 0);
    assert.deepEqual(warnings.filter((w) => w.name === 'MaxListenersExceededWarning'), []);
  } finally {
    process.off('warning', onWarning);
  }
});

test('close() aborts a hanging stream and a hanging POST promptly and calls onclose once', async () => {
  const serverSawClose: number[] = [];
  const { url, seen } = await serve((r, res) => {
    res.on('close', () => serverSawClose.push(performance.now()));
    if (r.body?.id === 1) {
      sseHead(res);
      sse(res, { id: 'h-1', data: '' });
    } // id 2: never answered
  });
  const { t } = transport(url);
  let closes = 0;
  t.onclose = () => closes++;
  await t.send(req(1));
  const hanging = t.send(req(2));
  await waitFor(() => seen.length === 2);
  const start = performance.now();
  await t.close();
  await t.close();
  await assert.rejects(hanging, (e: unknown) => e instanceof ErlmcpError && e.code === 'ERR_CONNECTION_CLOSED');
  await waitFor(() => serverSawClose.length === 2, 1000);
  assert.ok(Math.max(...serverSawClose) - start < 500);
  assert.equal(closes, 1);
  await assert.rejects(t.send(req(3)), (e: unknown) => e instanceof ErlmcpError && e.code === 'ERR_CONNECTION_CLOSED');
});
