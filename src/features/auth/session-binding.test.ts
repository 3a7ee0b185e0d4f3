/** A session answers only the principal that opened it, even to another valid credential. */
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { McpServer } from '../../server/index.js';
import { StreamableHttpServer } from '../../transports/http/server.js';
import { ApiKeyStore, hashApiKey } from './api-keys.js';
import { ResourceServer } from './resource-server.js';
import { bindSessionsToSubject } from './session-binding.js';

let http: StreamableHttpServer | undefined;
after(() => http?.close());

it('refuses a call in a session opened by another principal', async () => {
  const server = new McpServer({ name: 'bind', version: '1.0.0' });
  server.tool('t', {}, () => ({ content: [] }));
  bindSessionsToSubject(server);
  http = new StreamableHttpServer({ server, enableJsonResponse: true });
  const { url } = await http.listen(0, '127.0.0.1');
  new ResourceServer({ resource: url, apiKeys: new ApiKeyStore([{ name: 'alice', sha256: hashApiKey('key-a') }, { name: 'bob', sha256: hashApiKey('key-b') }]) }).install(server);
  const post = async (key: string, body: unknown, sid?: string) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'x-api-key': key, 'mcp-protocol-version': '2025-11-25' };
    if (sid) headers['mcp-session-id'] = sid;
    const r = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
    return { sid: r.headers.get('mcp-session-id'), body: r.status === 202 ? undefined : ((await r.json()) as { result?: unknown; error?: { data?: { reason?: string } } }) };
  };
  const init = await post('key-a', { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } } });
  const sid = init.sid!;
  await post('key-a', { jsonrpc: '2.0', method: 'notifications/initialized' }, sid);
  const list = { jsonrpc: '2.0', id: 2, method: 'tools/list' };
  assert.equal((await post('key-b', list, sid)).body?.error?.data?.reason, 'session_subject_mismatch');
  assert.ok((await post('key-a', list, sid)).body?.result);
});
