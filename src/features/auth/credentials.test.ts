/**
 * Opaque tokens (RFC 7662 introspection against an endpoint on 127.0.0.1) and API keys (hashed,
 * scoped, revoked by editing the key file while the server runs).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { McpServer } from '../../server/index.js';
import { StreamableHttpServer } from '../../transports/http/server.js';
import { ApiKeyStore, generateApiKey, hashApiKey, parseApiKeyFile } from './api-keys.js';
import { ResourceServer, type ResourceServerOptions } from './resource-server.js';

/** The next 'reload' (events.once would reject on the 'error' a broken file emits first). */
const nextReload = (store: ApiKeyStore) => new Promise<void>((r) => store.once('reload', () => r()));

const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c().catch(() => {});
});

async function protect(options: (url: string) => Omit<ResourceServerOptions, 'resource'>): Promise<string> {
  const server = new McpServer({ name: 'cred-test', version: '1.0.0' });
  const http = new StreamableHttpServer({ server, enableJsonResponse: true });
  closers.push(() => http.close());
  const { url } = await http.listen(0, '127.0.0.1');
  new ResourceServer({ resource: url, ...options(url) }).install(server);
  return url;
}

const INIT = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
async function status(url: string, headers: Record<string, string>): Promise<number> {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body: INIT });
  await r.text();
  return r.status;
}

describe('RFC 7662 introspection', () => {
  it('admits active tokens, refuses inactive or foreign-audience ones, caches answers, and is 503 when the endpoint fails', async () => {
    let calls = 0;
    let failing = false;
    let seenAuth = '';
    let url = '';
    const idp: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        calls++;
        seenAuth = req.headers.authorization ?? '';
        if (failing) return void res.writeHead(502).end();
        const token = new URLSearchParams(body).get('token');
        const exp = Math.floor(Date.now() / 1000) + 300;
        const answer =
          token === 'good' ? { active: true, sub: 'erin', client_id: 'c1', scope: 'mcp:tools', aud: url, exp }
          : token === 'foreign' ? { active: true, sub: 'erin', aud: 'https://elsewhere.example/mcp', exp }
          : { active: false };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((r) => idp.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => idp.close(() => r())));
    const endpoint = `http://127.0.0.1:${(idp.address() as AddressInfo).port}/introspect`;
    url = await protect(() => ({ introspection: { endpoint, clientId: 'rs', clientSecret: 's3cret', timeoutMs: 500 } }));

    assert.equal(await status(url, { authorization: 'Bearer good' }), 200);
    assert.equal(seenAuth, `Basic ${Buffer.from('rs:s3cret').toString('base64')}`);
    assert.equal(await status(url, { authorization: 'Bearer good' }), 200);
    assert.equal(calls, 1, 'the second request used the cached answer');
    assert.equal(await status(url, { authorization: 'Bearer revoked' }), 401);
    assert.equal(await status(url, { authorization: 'Bearer foreign' }), 401);
    failing = true;
    assert.equal(await status(url, { authorization: 'Bearer unseen' }), 503);
    assert.equal(await status(url, { authorization: 'Bearer good' }), 200, 'cached while the endpoint fails');
  });
});

describe('API keys', () => {
  it('parses key files strictly', () => {
    assert.throws(() => parseApiKeyFile('{}'), /expected \{ "keys"/);
    assert.throws(() => parseApiKeyFile('{"keys":[{"name":"a","sha256":"zz"}]}'), /keys\[0\]\.sha256/);
    assert.throws(() => parseApiKeyFile('{"keys":[{"name":"a","sha256":"' + '0'.repeat(64) + '","scopes":"x"}]}'), /scopes/);
    assert.equal(parseApiKeyFile('{"keys":[{"name":"a","sha256":"' + '0'.repeat(64) + '"}]}').length, 1);
  });

  it('accepts a key by X-API-Key or as a bearer token, with its scopes; refuses unknown, expired and oversized keys', () => {
    const key = generateApiKey();
    const old = generateApiKey();
    const store = new ApiKeyStore([
      { name: 'bot', sha256: hashApiKey(key), scopes: ['mcp:tools'] },
      { name: 'old', sha256: hashApiKey(old), expiresAt: '2000-01-01T00:00:00Z' },
    ]);
    assert.deepEqual(store.verify(key), { subject: 'bot', clientId: 'bot', scopes: ['mcp:tools'], method: 'api-key' });
    assert.equal(store.verify(old), undefined);
    assert.equal(store.verify(key + 'x'), undefined);
    assert.equal(store.verify('x'.repeat(2000)), undefined);
    assert.equal(store.verify(''), undefined);
  });

  it('revokes a key without a restart when the file changes (and fails closed on a broken file)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'erlmcp-keys-'));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'keys.json');
    const a = generateApiKey();
    const b = generateApiKey();
    const doc = (...keys: [string, string][]) => JSON.stringify({ keys: keys.map(([name, k]) => ({ name, sha256: hashApiKey(k), scopes: ['mcp:tools'] })) });
    await writeFile(file, doc(['a', a], ['b', b]));
    const store = await ApiKeyStore.fromFile(file);
    closers.push(async () => store.close());
    const errors: Error[] = [];
    store.on('error', (e) => errors.push(e));
    const url = await protect(() => ({ apiKeys: store }));

    assert.equal(await status(url, { 'x-api-key': a }), 200);
    assert.equal(await status(url, { authorization: `Bearer ${b}` }), 200);
    assert.equal(await status(url, { 'x-api-key': 'wrong' }), 401);

    // Replace the file as an editor or a deploy would (write + rename): key a is revoked.
    let reloaded = nextReload(store);
    await writeFile(`${file}.tmp`, doc(['b', b]));
    await rename(`${file}.tmp`, file);
    await reloaded;
    while (store.verify(a) !== undefined) await nextReload(store);
    assert.equal(await status(url, { 'x-api-key': a }), 401);
    assert.equal(await status(url, { 'x-api-key': b }), 200);

    reloaded = nextReload(store);
    await writeFile(file, '{ not json');
    await reloaded;
    while (store.size !== 0) await nextReload(store);
    assert.equal(await status(url, { 'x-api-key': b }), 401, 'a broken file accepts no key');
    assert.ok(errors.length > 0);
  });
});
