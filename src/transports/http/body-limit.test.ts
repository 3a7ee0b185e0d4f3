import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, it } from 'node:test';
import { McpServer } from '../../server/index.js';
import { StreamableHttpServer } from './server.js';

describe('a body refused on its declared Content-Length', () => {
  it('is answered 413 at once and its connection closed, without waiting for (or reading) the body', async (t) => {
    const http = new StreamableHttpServer({ server: new McpServer({ name: 't', version: '1' }), maxBodyBytes: 1000 });
    const { url } = await http.listen(0);
    t.after(() => http.close());
    // Declares 1 GiB, sends 10 bytes and then nothing: the answer must not wait for the rest.
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'content-length': String(1024 ** 3) } });
    const closed = new Promise<void>((resolve) => req.on('close', resolve));
    const answer = new Promise<{ status: number; connection: string | undefined; body: string }>((resolve, reject) => {
      req.on('response', (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, body }));
      });
      req.on('error', reject);
    });
    req.write('{"jsonrpc"');
    const r = await answer;
    assert.equal(r.status, 413);
    assert.equal(r.connection, 'close');
    assert.match(r.body, /Payload too large: limit is 1000 bytes/);
    await closed; // the server ended the connection; the client never had to send the gigabyte
    req.destroy();
  });
});
