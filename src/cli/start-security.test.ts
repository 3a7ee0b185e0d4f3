/**
 * `erlmcp start` with --api-keys, --policy, --audit-log and --auth-issuer/--auth-jwks: the
 * everything server behind them (401 without a key, tools filtered by the policy, every request
 * in a verifiable audit chain, the metadata served), the option checks, and the warning for a
 * non-loopback bind without authentication.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startTokenIssuer } from '../../test/helpers/token-issuer.js';
import { Client } from '../client/index.js';
import { verifyAuditFile } from '../features/audit/verify.js';
import { hashApiKey } from '../features/auth/api-keys.js';
import { StreamableHttpClientTransport } from '../transports/http/client.js';
import { checkStartOptions, exposureWarning, startServer, type RunningServer, type StartOptions } from './start.js';

const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c().catch(() => {});
});

async function start(o: Partial<StartOptions>, logs: string[] = []): Promise<RunningServer> {
  const r = await startServer({ port: 0, host: '127.0.0.1', json: true, ...o }, (l) => logs.push(l));
  closers.push(() => r.close());
  return r;
}

describe('erlmcp start with security options', () => {
  it('--api-keys, --policy, --audit-log: 401 without a key, tools filtered, an intact audit chain', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'erlmcp-start-sec-'));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    const key = 'emk_start-security-test';
    await writeFile(join(dir, 'keys.json'), JSON.stringify({ keys: [{ name: 'ci', sha256: hashApiKey(key), scopes: ['mcp:echo'] }] }));
    await writeFile(join(dir, 'policy.json'), JSON.stringify({ rules: [{ scopes: ['mcp:echo'], tools: ['echo'] }] }));
    const audit = join(dir, 'audit.jsonl');
    const r = await start({ apiKeys: join(dir, 'keys.json'), policy: join(dir, 'policy.json'), auditLog: audit });

    const anon = await fetch(r.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
    assert.equal(anon.status, 401);
    assert.match(anon.headers.get('www-authenticate') ?? '', /resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/mcp"/);
    await anon.text();
    const prm = await fetch(new URL('/.well-known/oauth-protected-resource/mcp', r.url));
    assert.equal(((await prm.json()) as { resource: string }).resource, r.url);

    const client = new Client({ name: 'c', version: '1' });
    await client.connect(new StreamableHttpClientTransport(new URL(r.url), { headers: { 'x-api-key': key } }));
    assert.deepEqual((await client.listTools()).tools.map((t) => t.name), ['echo']);
    await assert.rejects(client.callTool({ name: 'test_simple_text', arguments: {} }), /Forbidden/);
    await client.close();
    await r.close();
    const v = await verifyAuditFile(audit);
    assert.ok(v.ok && v.records >= 4, JSON.stringify(v));
  });

  it('--auth-issuer with --auth-jwks accepts the issuer\'s JWTs for the endpoint', async () => {
    const idp = await startTokenIssuer();
    closers.push(() => idp.close());
    const r = await start({ authIssuer: idp.issuer, authJwks: idp.jwksUri });
    const ok = await fetch(r.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${await idp.sign({ sub: 'a', aud: r.url })}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
    });
    assert.equal(ok.status, 200, await ok.clone().text());
    await ok.text();
  });

  it('refuses a bad policy or key file at start', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'erlmcp-start-sec-'));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'bad.json'), '{"rules": "x"}');
    await assert.rejects(startServer({ port: 0, host: '127.0.0.1', policy: join(dir, 'bad.json') }, () => {}), /policy file .*expected \{ "rules"/);
    await assert.rejects(startServer({ port: 0, host: '127.0.0.1', apiKeys: join(dir, 'missing.json') }, () => {}), /API key file/);
    assert.equal(checkStartOptions({ port: 0, host: '127.0.0.1', cluster: 2, redis: 'redis://127.0.0.1:6379', apiKeys: 'k.json', auditLog: 'a.jsonl' }), undefined, 'one audit chain across workers');
  });

  it('warns when binding a non-loopback address without authentication', () => {
    assert.match(exposureWarning({ port: 0, host: '0.0.0.0' }) ?? '', /WARNING: listening on 0\.0\.0\.0 with no authentication/);
    assert.equal(exposureWarning({ port: 0, host: '0.0.0.0', apiKeys: 'k.json' }), undefined);
    assert.equal(exposureWarning({ port: 0, host: '0.0.0.0', authIssuer: 'https://idp.example.com' }), undefined);
    assert.equal(exposureWarning({ port: 0, host: '127.0.0.1' }), undefined);
  });
});
