import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { freePort } from '../../test/scale-out/helpers.js';
import { RoundRobinProxy } from './proxy.js';

async function backend(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<{ origin: string; server: Server; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => handler(req, res, body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe('RoundRobinProxy', () => {
  it('sends consecutive requests to consecutive backends, keeping method, path, Host and body', async () => {
    const seen: string[] = [];
    const backs = await Promise.all(
      [0, 1, 2].map((i) =>
        backend((req, res, body) => {
          seen.push(`${i} ${req.method} ${req.url} ${req.headers.host} ${body}`);
          res.end(String(i));
        }),
      ),
    );
    const proxy = new RoundRobinProxy({ backends: backs.map((b) => b.origin) });
    const { url, port } = await proxy.listen();
    const answers: string[] = [];
    for (let i = 0; i < 4; i++) answers.push(await (await fetch(`${url}/mcp?x=${i}`, { method: 'POST', body: `b${i}` })).text());
    assert.deepEqual(answers, ['0', '1', '2', '0']);
    assert.deepEqual(seen, [0, 1, 2, 3].map((i) => `${i % 3} POST /mcp?x=${i} 127.0.0.1:${port} b${i}`));
    assert.deepEqual(proxy.hits(), [2, 1, 1]);
    await proxy.close();
    await Promise.all(backs.map((b) => b.close()));
  });

  it('streams an SSE response through as it is written', async () => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const back = await backend((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: first\n\n');
      void released.then(() => res.end('data: second\n\n'));
    });
    const proxy = new RoundRobinProxy({ backends: [back.origin] });
    const { url } = await proxy.listen();
    const res = await fetch(url);
    assert.equal(res.headers.get('content-type'), 'text/event-stream');
    const reader = res.body!.getReader();
    const first = await reader.read();
    assert.equal(Buffer.from(first.value!).toString(), 'data: first\n\n', 'delivered before the backend finished');
    release();
    let rest = '';
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += Buffer.from(r.value).toString();
    assert.equal(rest, 'data: second\n\n');
    await proxy.close();
    await back.close();
  });

  it('skips a backend that refuses connections and resends the body to the next one', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const back = await backend((_req, res, body) => res.end(`got ${body}`));
    const proxy = new RoundRobinProxy({ backends: [dead, back.origin] });
    const { url } = await proxy.listen();
    for (let i = 0; i < 3; i++) assert.equal(await (await fetch(url, { method: 'POST', body: `n${i}` })).text(), `got n${i}`);
    assert.deepEqual(proxy.hits(), [0, 3]);
    await proxy.close();
    await back.close();
  });

  it('cuts the client off when its backend dies mid-stream', async () => {
    const back = await backend((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: one\n\n');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const proxy = new RoundRobinProxy({ backends: [back.origin] });
    const { url } = await proxy.listen();
    const res = await fetch(url);
    const reader = res.body!.getReader();
    await reader.read();
    await assert.rejects(async () => {
      for (let r = await reader.read(); !r.done; r = await reader.read());
    });
    await proxy.close();
    await back.close();
  });

  it('lets a picker choose the backend', async () => {
    const backs = await Promise.all([0, 1].map((i) => backend((_req, res) => res.end(String(i)))));
    const proxy = new RoundRobinProxy({ backends: backs.map((b) => b.origin), pick: (req) => (req.body.toString() === 'one' ? 1 : 0) });
    const { url } = await proxy.listen();
    assert.equal(await (await fetch(url, { method: 'POST', body: 'one' })).text(), '1');
    assert.equal(await (await fetch(url, { method: 'POST', body: 'zero' })).text(), '0');
    assert.equal(await (await fetch(url, { method: 'POST', body: 'one' })).text(), '1');
    await proxy.close();
    await Promise.all(backs.map((b) => b.close()));
  });
});
