import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, test } from 'node:test';
import { ErlmcpError } from '../../protocol/errors.js';
import { LegacySseClientTransport, type LegacySseClientTransportOptions } from './client.js';

// A hand-written server: each test decides every status, header and byte of the stream.
interface Seen {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}
interface Fixture {
  base: string;
  seen: Seen[];
  /** The open SSE responses, so a test can write to or end them. */
  streams: http.ServerResponse[];
}
type Handler = (req: Seen, res: http.ServerResponse, fx: Fixture) => void;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serve(handler: Handler): Promise<Fixture> {
  const fx: Fixture = { base: '', seen: [], streams: [] };
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const s: Seen = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body };
      fx.seen.push(s);
      handler(s, res, fx);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  fx.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fx;
}

function openStream(res: http.ServerResponse, fx: Fixture, first?: string): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  if (first !== undefined) res.write(first);
  else res.flushHeaders();
  fx.streams.push(res);
}

/** A server that announces `endpoint` on GET and answers every POST 202. */
function legacyHandler(endpoint: string): Handler {
  return (r, res, fx) => {
    if (r.method === 'GET') return openStream(res, fx, `event: endpoint\ndata: ${endpoint}\n\n`);
    res.writeHead(202).end('Accepted');
  };
}

function transport(url: string, options?: LegacySseClientTransportOptions) {
  const t = new LegacySseClientTransport(url, options);
  const got: unknown[] = [];
  const errors: Error[] = [];
  let closed = 0;
  t.onmessage = (m) => got.push(m);
  t.onerror = (e) => errors.push(e);
  t.onclose = () => closed++;
  cleanups.push(() => t.close());
  return { t, got, errors, closes: () => closed };
}

async function until(cond: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const isErr = (code: string, re?: RegExp) => (e: unknown) => e instanceof ErlmcpError && e.code === code && (!re || re.test(e.message));

test('resolves a relative endpoint against the SSE URL and POSTs messages there with our headers', async () => {
  const fx = await serve(legacyHandler('messages?sessionId=abc'));
  const { t } = transport(`${fx.base}/app/sse`, { headers: { Authorization: 'Bearer x' } });
  await t.start();
  assert.equal(t.endpoint?.href, `${fx.base}/app/messages?sessionId=abc`);
  assert.equal(t.sessionId, 'abc');
  await t.send({ jsonrpc: '2.0', id: 1, method: 'ping' });
  const [get, post] = fx.seen;
  assert.equal(get?.headers.accept, 'text/event-stream');
  assert.equal(get?.headers.authorization, 'Bearer x');
  assert.equal(post?.method, 'POST');
  assert.equal(post?.path, '/app/messages?sessionId=abc');
  assert.equal(post?.headers['content-type'], 'application/json');
  assert.equal(post?.headers.authorization, 'Bearer x');
  assert.deepEqual(JSON.parse(post!.body), { jsonrpc: '2.0', id: 1, method: 'ping' });
});

test('delivers `message` events (named or default) and ignores other event types', async () => {
  const fx = await serve(legacyHandler('/messages?sessionId=1'));
  const { t, got } = transport(`${fx.base}/sse`);
  await t.start();
  const s = fx.streams[0]!;
  s.write(`event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', id: 1, result: {} })}\n\n`);
  s.write('event: other\ndata: {"ignored":true}\n\n');
  s.write(': a comment\n\n');
  s.write(`data: ${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/message', params: {} })}\n\n`);
  await until(() => got.length === 2);
  assert.deepEqual(got, [
    { jsonrpc: '2.0', id: 1, result: {} },
    { jsonrpc: '2.0', method: 'notifications/message', params: {} },
  ]);
});

test('rejects an endpoint on another origin, without POSTing anything there', async () => {
  const fx = await serve(legacyHandler('http://evil.example/messages'));
  const { t, closes } = transport(`${fx.base}/sse`);
  await assert.rejects(t.start(), isErr('ERR_TRANSPORT', /not on the SSE stream's origin/));
  assert.equal(closes(), 1);
  await assert.rejects(t.send({ jsonrpc: '2.0', id: 1, method: 'ping' }), isErr('ERR_CONNECTION_CLOSED'));
  assert.equal(fx.seen.length, 1);
});

test('start() rejects with the HTTP status when the GET is refused', async () => {
  const fx = await serve((_r, res) => res.writeHead(404, { 'content-type': 'text/plain' }).end('no such thing'));
  const { t } = transport(`${fx.base}/sse`);
  await assert.rejects(t.start(), isErr('ERR_TRANSPORT', /^HTTP 404: no such thing/));
});

test('start() rejects when the answer is not an SSE stream', async () => {
  const fx = await serve((_r, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  const { t } = transport(`${fx.base}/sse`);
  await assert.rejects(t.start(), isErr('ERR_TRANSPORT', /Expected an SSE stream/));
});

test('start() rejects when the stream ends before the endpoint event', async () => {
  const fx = await serve((_r, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end('event: message\ndata: {}\n\n');
  });
  const { t } = transport(`${fx.base}/sse`);
  await assert.rejects(t.start(), isErr('ERR_TRANSPORT', /ended before the endpoint event/));
});

test('start() gives up when no endpoint event arrives in time', async () => {
  const fx = await serve((_r, res, f) => openStream(res, f));
  const { t } = transport(`${fx.base}/sse`, { endpointTimeoutMs: 50 });
  await assert.rejects(t.start(), isErr('ERR_TIMEOUT'));
});

test('a refused POST rejects send() with its status', async () => {
  const fx = await serve((r, res, f) => {
    if (r.method === 'GET') return openStream(res, f, 'event: endpoint\ndata: /messages?sessionId=1\n\n');
    res.writeHead(404).end('Session not found');
  });
  const { t } = transport(`${fx.base}/sse`);
  await t.start();
  await assert.rejects(t.send({ jsonrpc: '2.0', id: 1, method: 'ping' }), isErr('ERR_TRANSPORT', /^HTTP 404: Session not found/));
});

test('the server ending the stream closes the transport once', async () => {
  const fx = await serve(legacyHandler('/messages?sessionId=1'));
  const { t, closes, errors } = transport(`${fx.base}/sse`);
  await t.start();
  fx.streams[0]!.end();
  await until(() => closes() === 1);
  await assert.rejects(t.send({ jsonrpc: '2.0', method: 'notifications/initialized' }), isErr('ERR_CONNECTION_CLOSED'));
  await t.close();
  assert.equal(closes(), 1);
  assert.deepEqual(errors, []);
});

test('invalid JSON in a message event is reported, and later events still arrive', async () => {
  const fx = await serve(legacyHandler('/messages?sessionId=1'));
  const { t, got, errors } = transport(`${fx.base}/sse`);
  await t.start();
  fx.streams[0]!.write('event: message\ndata: {not json\n\n');
  fx.streams[0]!.write(`event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', id: 2, result: {} })}\n\n`);
  await until(() => got.length === 1);
  assert.equal(errors.length, 1);
  assert.match(errors[0]!.message, /Invalid JSON/);
});

test('close() aborts the stream: the server sees the connection go', async () => {
  const fx = await serve(legacyHandler('/messages?sessionId=1'));
  const { t, closes } = transport(`${fx.base}/sse`);
  await t.start();
  let gone = false;
  fx.streams[0]!.on('close', () => (gone = true));
  await t.close();
  assert.equal(closes(), 1);
  await until(() => gone);
});
