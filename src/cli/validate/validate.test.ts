/**
 * `erlmcp validate` against our own demo (the everything server) over Streamable HTTP and
 * stdio — it must pass every MUST — and against a deliberately broken stdio server, which must
 * make the command exit 1 with the failures named.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createEverythingServer } from '../../../examples/everything/server.js';
import { StreamableHttpServer } from '../../transports/http/index.js';
import { runValidate } from './run.js';
import { parseTarget } from './target.js';
import type { ValidateReport } from './types.js';
import { check, runCli } from '../../../test/helpers/validate.js';

const DEMO_STDIO = fileURLToPath(new URL('../../../examples/everything/stdio.js', import.meta.url));

const mustFailures = (r: ValidateReport) => r.checks.filter((c) => c.level === 'MUST' && c.status === 'fail').map((c) => `${c.id}: ${c.detail}`);

describe('erlmcp validate: our demo over Streamable HTTP', () => {
  let http: StreamableHttpServer;
  let url: string;
  let report: ValidateReport;
  before(async () => {
    http = new StreamableHttpServer({ server: createEverythingServer() });
    url = (await http.listen(0, '127.0.0.1')).url;
    report = await runValidate(parseTarget([url]), { probeMs: 200 });
  });
  after(() => http.close());

  it('passes every MUST', () => {
    assert.deepEqual(mustFailures(report), []);
    assert.equal(report.summary.mustFailed, 0);
  });

  it('ran the transport and security checks and found them holding', () => {
    for (const id of ['http.origin', 'http.host', 'http.session.unknown', 'http.session.deleted', 'http.session.missing', 'http.protocol-version', 'http.notification-accepted', 'http.malformed-json', 'http.content-type', 'http.accept', 'http.sse-resume', 'http.session.id-entropy']) {
      assert.equal(check(report, id).status, 'pass', `${id}: ${check(report, id).detail}`);
    }
    assert.match(check(report, 'http.session.deleted').detail, /HTTP 404/);
  });

  it('exercised what the server offers: lists, read-only tool calls with structuredContent, reads, prompts, completion, logging', () => {
    for (const id of ['tools.list', 'resources.list', 'prompts.list', 'tools.input-schema', 'tools.output-schema', 'resources.read', 'prompts.get', 'completion.complete', 'logging.set-level', 'ping', 'errors.unknown-method', 'pagination.bad-cursor', 'tools.unknown']) {
      assert.equal(check(report, id).status, 'pass', `${id}: ${check(report, id).detail}`);
    }
    const calls = report.checks.filter((c) => c.id.startsWith('tools.call:'));
    assert.ok(calls.length >= 1);
    assert.ok(calls.every((c) => c.status === 'pass'), JSON.stringify(calls));
  });

  it('cites a spec section for every check and measures the probe at 1 and 16 in flight', () => {
    for (const c of report.checks) assert.match(c.spec, /^(basic|server|client)/, c.id);
    assert.deepEqual(report.probe.map((p) => p.inFlight), [1, 16]);
    assert.ok(report.probe.every((p) => p.calls > 0 && p.errors === 0 && p.p99Ms >= p.p50Ms));
  });

  it('the CLI prints the report and exits 0; --json is the same report as JSON', async () => {
    const text = await runCli(['validate', url, '--probe-ms', '0']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^MUST — 0 failed of \d+$/m);
    assert.match(text.stdout, /PASS: every MUST holds/);
    assert.match(text.stderr, /ok {3}MUST {3}lifecycle\.initialize/); // progress on stderr
    const json = await runCli(['validate', url, '--json', '--probe-ms', '0', '--quiet']);
    assert.equal(json.code, 0);
    assert.equal(json.stderr, '');
    const parsed = JSON.parse(json.stdout) as ValidateReport;
    assert.equal(parsed.transport, 'http');
    assert.equal(parsed.summary.mustFailed, 0);
    assert.equal(parsed.server?.name, 'erlmcp-everything');
  });
  it('--call-tools calls every tool and probes a read-only one; --timeout and --body-bytes are honoured', async () => {
    const r = await runCli(['validate', url, '--json', '--quiet', '--call-tools', '--probe-ms', '100', '--timeout', '60000', '--body-bytes', String(20 * 1024 * 1024)]);
    assert.equal(r.code, 0, r.stderr);
    const all = JSON.parse(r.stdout) as ValidateReport;
    const called = all.checks.filter((c) => c.id.startsWith('tools.call:'));
    assert.ok(called.length > report.checks.filter((c) => c.id.startsWith('tools.call:')).length);
    // Tools that need sampling or elicitation answer isError to a client without them: info, not a failure.
    assert.equal(check(all, 'tools.call:test_sampling').status, 'info');
    assert.equal(all.summary.mustFailed, 0);
    assert.match(all.probe[0]!.method, /^tools\/call /);
    assert.match(check(all, 'http.body-limit').title, /a 20 MiB body/);
  });
});

describe('erlmcp validate: a server that requires authorization', () => {
  it('without credentials: follows the 401 to the RFC 9728 metadata and skips the rest; with -H: validates the server', async () => {
    let metadataOk = true;
    // Our demo behind a bearer-token check, as an authorization middleware would put it.
    const mcp = new StreamableHttpServer({ server: createEverythingServer() });
    const srv = createServer((req, res) => {
      const origin = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
      if (req.method === 'GET' && req.url === '/.well-known/oauth-protected-resource/mcp') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(metadataOk ? { resource: `${origin}/mcp`, authorization_servers: ['https://auth.example'] } : { resource: `${origin}/mcp` }));
        return;
      }
      if (req.headers.authorization === 'Bearer s3cret') return void mcp.handle(req, res);
      res.writeHead(401, { 'www-authenticate': `Bearer resource_metadata="${origin}/.well-known/oauth-protected-resource/mcp"` });
      res.end();
    });
    srv.listen(0, '127.0.0.1');
    await once(srv, 'listening');
    try {
      const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/mcp`;
      const r = await runValidate(parseTarget([url]), { probeMs: 0 });
      assert.equal(check(r, 'http.auth.metadata').status, 'pass', check(r, 'http.auth.metadata').detail);
      assert.equal(check(r, 'lifecycle.initialize').status, 'skip');
      assert.equal(r.summary.mustFailed, 0);
      assert.equal(r.checks.some((c) => c.id === 'client.session'), false);
      metadataOk = false;
      const bad = await runValidate(parseTarget([url]), { probeMs: 0 });
      assert.equal(check(bad, 'http.auth.metadata').status, 'fail');

      const authed = await runCli(['validate', '--json', '--quiet', '--probe-ms', '0', '-H', 'Authorization: Bearer s3cret', url]);
      assert.equal(authed.code, 0, authed.stderr);
      const full = JSON.parse(authed.stdout) as ValidateReport;
      assert.equal(check(full, 'http.auth.metadata').status, 'skip');
      for (const id of ['client.session', 'tools.list', 'http.session.deleted', 'http.sse-resume']) assert.equal(check(full, id).status, 'pass', `${id}: ${check(full, id).detail}`);
      // bench sends the header too: without it the server refuses the session.
      const bench = (extra: string[]) => runCli(['bench', '--quiet', '--in-flight', '1', '--duration-ms', '200', '--warmup-ms', '0', ...extra, url]);
      assert.equal((await bench(['-H', 'Authorization: Bearer s3cret'])).code, 0);
      assert.equal((await bench([])).code, 1);
      assert.equal((await runCli(['validate', '-H', 'no colon', url])).code, 2);
      assert.equal((await runCli(['validate', '-H', 'X-A: 1', '--', process.execPath, DEMO_STDIO])).code, 2);
    } finally {
      srv.close();
      await mcp.close();
    }
  });
});

describe('erlmcp validate: stdio servers', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'erlmcp-validate-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('our demo over stdio passes every MUST, with the stdio checks holding', async () => {
    const r = await runValidate(parseTarget([process.execPath, DEMO_STDIO]), { probeMs: 0 });
    assert.deepEqual(mustFailures(r), []);
    for (const id of ['stdio.stdout-only-messages', 'stdio.parse-error', 'stdio.survives-bad-line', 'stdio.exit-on-eof']) assert.equal(check(r, id).status, 'pass', `${id}: ${check(r, id).detail}`);
    assert.equal(r.checks.filter((c) => c.id.startsWith('http.')).length, 0);
  });

  it('a server that writes a banner to stdout fails the stdout MUST, and the CLI exits 1 (--html written too)', async () => {
    // Answers initialize and ping like a server, but prints a banner line first.
    const noisy = [
      "process.stdout.write('Server starting...\\n');",
      "let buf='';process.stdin.on('data',d=>{buf+=d;let i;while((i=buf.indexOf('\\n'))>=0){const line=buf.slice(0,i);buf=buf.slice(i+1);let m;try{m=JSON.parse(line)}catch{continue}",
      "if(m.id===undefined)continue;const result=m.method==='initialize'?{protocolVersion:'2025-11-25',capabilities:{},serverInfo:{name:'noisy',version:'1'}}:m.method==='ping'?{}:undefined;",
      "process.stdout.write(JSON.stringify(result?{jsonrpc:'2.0',id:m.id,result}:{jsonrpc:'2.0',id:m.id,error:{code:-32601,message:'Method not found'}})+'\\n')}});",
    ].join('');
    const html = join(dir, 'noisy.html');
    const r = await runCli(['validate', '--json', '--probe-ms', '0', '--html', html, '--', process.execPath, '-e', noisy]);
    assert.equal(r.code, 1, r.stderr);
    const report = JSON.parse(r.stdout) as ValidateReport;
    const c = check(report, 'stdio.stdout-only-messages');
    assert.equal(c.status, 'fail');
    assert.match(c.detail, /Server starting/);
    assert.ok(report.summary.mustFailed >= 1);
    assert.match(readFileSync(html, 'utf8'), /stdio\.stdout-only-messages/);
  });

  it('a target that cannot be reached fails, and no target is a usage error (exit 2)', async () => {
    const missing = await runCli(['validate', '--quiet', '--probe-ms', '0', 'http://127.0.0.1:9/mcp']);
    assert.equal(missing.code, 1);
    assert.match(missing.stdout, /lifecycle\.initialize/);
    const usage = await runCli(['validate']);
    assert.equal(usage.code, 2);
  });
});
