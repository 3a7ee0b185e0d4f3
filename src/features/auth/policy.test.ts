/**
 * RBAC over Streamable HTTP: each caller sees only what it may use in every list, calls to
 * anything else are refused (insufficient_scope naming the scope, or forbidden), completion
 * follows the prompt's rule, and the shared pre-serialised list pages stay untouched.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '../../client/index.js';
import { McpError } from '../../protocol/errors.js';
import { McpServer } from '../../server/index.js';
import { StreamableHttpClientTransport } from '../../transports/http/client.js';
import { StreamableHttpServer } from '../../transports/http/server.js';
import { parsePolicy, Policy } from './policy.js';

const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c().catch(() => {});
});

const POLICY = parsePolicy({
  rolesClaim: 'groups',
  rules: [
    { tools: ['echo'], resources: ['docs://public/*'] },
    { scopes: ['mcp:tools'], tools: ['search_*'] },
    { scopes: ['mcp:admin'], tools: ['*'], resources: ['*'], prompts: ['*'] },
    { roles: ['support'], prompts: ['triage'] },
  ],
});

let url = '';
let server: McpServer;

before(async () => {
  server = new McpServer({ name: 'rbac', version: '1.0.0' });
  for (const name of ['echo', 'search_docs', 'search_web', 'delete_all']) server.tool(name, {}, () => ({ content: [{ type: 'text', text: name }] }));
  server.resource('docs://public/readme', {}, (uri) => ({ contents: [{ uri, text: 'readme' }] }));
  server.resource('docs://secret/plans', {}, (uri) => ({ contents: [{ uri, text: 'plans' }] }));
  server.resourceTemplate('pub', 'docs://public/{id}', {}, (uri) => ({ contents: [{ uri, text: 'x' }] }));
  server.resourceTemplate('sec', 'docs://secret/{id}', {}, (uri) => ({ contents: [{ uri, text: 'x' }] }));
  server.prompt('triage', { arguments: [{ name: 'severity', required: true }], complete: { severity: (v) => ['low', 'high'].filter((s) => s.startsWith(v)) } }, () => ({ messages: [] }));
  server.prompt('release', {}, () => ({ messages: [] }));
  // The identity comes from test headers here; in production the resource server sets it.
  server.admit((req) => {
    const scopes = req.headers['x-scopes'];
    const groups = req.headers['x-groups'];
    if (scopes === undefined && groups === undefined) return undefined;
    return { identity: { subject: 'u', scopes: typeof scopes === 'string' ? scopes.split(' ') : [], claims: { groups: typeof groups === 'string' ? groups.split(' ') : [] } } };
  });
  new Policy(POLICY).install(server);
  const http = new StreamableHttpServer({ server });
  closers.push(() => http.close());
  url = (await http.listen(0, '127.0.0.1')).url;
});

async function clientWith(headers: Record<string, string>): Promise<Client> {
  const client = new Client({ name: 'c', version: '1' });
  await client.connect(new StreamableHttpClientTransport(new URL(url), { headers }));
  closers.push(() => client.close());
  return client;
}

describe('RBAC policy', () => {
  it('filters every list per caller, concurrently, without touching the shared pages', async () => {
    const [anon, tools, admin, support] = await Promise.all([clientWith({}), clientWith({ 'x-scopes': 'mcp:tools' }), clientWith({ 'x-scopes': 'mcp:admin' }), clientWith({ 'x-groups': 'support' })]);
    const names = async (c: Client) => (await c.listTools()).tools.map((t) => t.name);
    const [a, t, ad, s] = await Promise.all([names(anon), names(tools), names(admin), names(support)]);
    assert.deepEqual(a, ['echo']);
    assert.deepEqual(t, ['echo', 'search_docs', 'search_web']);
    assert.deepEqual(ad, ['echo', 'search_docs', 'search_web', 'delete_all']);
    assert.deepEqual(s, ['echo']);
    assert.deepEqual(await names(admin), ['echo', 'search_docs', 'search_web', 'delete_all'], 'the shared page is intact');
    assert.deepEqual((await anon.listResources()).resources.map((r) => r.uri), ['docs://public/readme']);
    assert.deepEqual((await admin.listResources()).resources.map((r) => r.uri), ['docs://public/readme', 'docs://secret/plans']);
    assert.deepEqual((await anon.listResourceTemplates()).resourceTemplates.map((r) => r.name), ['pub']);
    assert.deepEqual((await anon.listPrompts()).prompts, []);
    assert.deepEqual((await support.listPrompts()).prompts.map((p) => p.name), ['triage']);
    assert.deepEqual((await admin.listPrompts()).prompts.map((p) => p.name), ['triage', 'release']);
  });

  it('refuses calls outside the grant: insufficient_scope naming the scope when one would grant it, else forbidden', async () => {
    const anon = await clientWith({});
    const tools = await clientWith({ 'x-scopes': 'mcp:tools' });
    assert.equal(((await tools.callTool({ name: 'search_web', arguments: {} })).content[0] as { text: string }).text, 'search_web');

    const refused = async (p: Promise<unknown>) => {
      const e = await p.then(() => assert.fail('expected a refusal'), (x: unknown) => x);
      assert.ok(e instanceof McpError, String(e));
      assert.equal(e.code, -32000);
      return e;
    };
    let e = await refused(anon.callTool({ name: 'search_web', arguments: {} }));
    assert.match(e.message, /tool "search_web" needs scope mcp:tools or mcp:admin/);
    assert.deepEqual(e.data, { reason: 'insufficient_scope', scope: 'mcp:tools mcp:admin', kind: 'tool', target: 'search_web' });
    e = await refused(tools.callTool({ name: 'delete_all', arguments: {} }));
    assert.deepEqual(e.data, { reason: 'insufficient_scope', scope: 'mcp:admin', kind: 'tool', target: 'delete_all' });
    e = await refused(anon.readResource('docs://secret/plans'));
    assert.equal((e.data as { kind: string }).kind, 'resource');
    e = await refused(anon.getPrompt('triage', { severity: 'low' }));
    assert.equal((e.data as { reason: string }).reason, 'insufficient_scope');
    e = await refused(anon.complete({ ref: { type: 'ref/prompt', name: 'triage' }, argument: { name: 'severity', value: 'h' } }));
    assert.equal((e.data as { kind: string }).kind, 'prompt');
    // A name no rule grants to anyone: forbidden, the same answer whether it exists or not.
    const none = new Policy({ rules: [{ tools: ['echo'] }] });
    assert.equal(none.allows(undefined, 'tools', 'nope'), false);

    const support = await clientWith({ 'x-groups': 'support' });
    assert.deepEqual((await support.complete({ ref: { type: 'ref/prompt', name: 'triage' }, argument: { name: 'severity', value: 'h' } })).completion.values, ['high']);
    e = await refused(support.getPrompt('release'));
    assert.equal((e.data as { reason: string }).reason, 'insufficient_scope');
    assert.equal(((await anon.readResource('docs://public/readme')).contents[0] as { text: string }).text, 'readme');
  });

  it('patterns match whole names; a rule with no scopes or roles applies to everyone', () => {
    const p = new Policy({ rules: [{ tools: ['a*c', 'x.y'] }] });
    assert.equal(p.allows(undefined, 'tools', 'abc'), true);
    assert.equal(p.allows(undefined, 'tools', 'abcd'), false);
    assert.equal(p.allows(undefined, 'tools', 'x.y'), true);
    assert.equal(p.allows(undefined, 'tools', 'xzy'), false, '"." is literal');
    assert.throws(() => parsePolicy({ rules: [{ tools: 'x' }] }), /rules\[0\]\.tools/);
    assert.throws(() => parsePolicy([]), /expected \{ "rules"/);
  });
});
