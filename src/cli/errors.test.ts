/**
 * Issue 10, item 7: each startup failure a person meets says what is wrong and what to do,
 * asserted on the text the CLI prints.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli as runCliProcess } from '../../test/helpers/cli.js';
import { requireRedis } from '../../test/scale-out/helpers.js';
import { CliError, redisError, useColor } from './errors.js';
import { importUserFile } from './module-loader.js';
import { runCli } from './program.js';

const dir = mkdtempSync(join(tmpdir(), 'erlmcp-errors-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const SERVER_URL = JSON.stringify(new URL('../server/index.js', import.meta.url).href);
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('startup errors a person can act on', { timeout: 240_000 }, () => {
  it('port in use: says so, and suggests another port or --port 0 (and --tcp-port 0 for TCP)', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const http = await runCliProcess(['start', '--port', String(port)]);
      assert.equal(http.code, 1);
      assert.match(http.stderr, new RegExp(`erlmcp: error: cannot serve HTTP: port ${port} on 127\\.0\\.0\\.1 is already in use by another process\\.`));
      assert.match(http.stderr, /with --port 0 \(the real port is printed\)/);
      assert.ok(!http.stderr.includes('EADDRINUSE'), 'no raw error code');
      const tcp = await runCliProcess(['start', '--port', '0', '--tcp-port', String(port)]);
      assert.equal(tcp.code, 1);
      assert.match(tcp.stderr, new RegExp(`cannot serve TCP: port ${port} on 127\\.0\\.0\\.1 is already in use[\\s\\S]*--tcp-port 0`));
    } finally {
      blocker.close();
    }
  });

  it('module syntax error (.mjs): file:line:column and the offending line', async () => {
    const bad = file('bad.mjs', 'export function createServer() {\n  const x = {;\n  return x;\n}\n');
    const r = await runCliProcess(['start', '--port', '0', '--module', bad]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`erlmcp: error: syntax error in ${bad}:2:14: Unexpected token ';'`));
    assert.match(r.stderr, /\n {2}2 \| {3}const x = \{;\n {2} {2}\| {14}\^/);
  });

  it('module syntax error (.ts): file:line:column and the offending line', async () => {
    const bad = file('bad.ts', 'export function createServer(): number {\n  const x = {;\n  return 1;\n}\n');
    const r = await runCliProcess(['start', '--port', '0', '--module', bad]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`syntax error in ${bad}:2:14: Expected identifier but found ";"`));
    assert.match(r.stderr, / {2}2 \| {3}const x = \{;/);
  });

  it('syntax error in a file the module imports: names that file and the module', async () => {
    const dep = file('dep.mjs', 'export const a = ;\n');
    const main = file('imports-bad.mjs', `import { a } from './dep.mjs';\nexport const createServer = () => a;\n`);
    const r = await runCliProcess(['start', '--port', '0', '--module', main]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`syntax error in ${dep}:1:18 \\(imported by your module ${main}\\): Unexpected token ';'`));
  });

  it('module throwing while it loads: "in your module <path>:" and its stack', async () => {
    const throws = file('throws.mjs', `const config = undefined;\nexport const port = config.port;\nexport function createServer() {}\n`);
    const r = await runCliProcess(['start', '--port', '0', '--module', throws]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`erlmcp: error: in your module ${throws}: TypeError: Cannot read properties of undefined \\(reading 'port'\\)`));
    assert.match(r.stderr, new RegExp(`at ${throws}:2:\\d+\\n {2}2 \\| export const port = config\\.port;`));
    assert.match(r.stderr, /\n +at file:\/\/.*throws\.mjs:2:\d+/, 'the stack follows');
    assert.ok(!r.stderr.includes('node:internal') && !r.stderr.includes('server-module.js'), `only the user's frames: ${r.stderr}`);
  });

  it('.ts without a loader: says how to fix it', async () => {
    const ts = file('needs-loader.ts', 'export const x: number = 1;\n');
    const failing = async (): Promise<never> => {
      throw new Error("Cannot find package 'tsx'");
    };
    await assert.rejects(importUserFile(ts, 'module', failing), (e: unknown) => {
      assert.ok(e instanceof CliError && e.exitCode === 2);
      assert.match(e.message, /needs-loader\.ts is TypeScript, and the TypeScript loader \(tsx\) could not be loaded: Cannot find package 'tsx'/);
      assert.match(e.message, /npm install tsx/);
      assert.match(e.message, /compile first \(npx tsc\) and pass the \.js file/);
      return true;
    });
  });

  it('duplicate tool name and bad schema: the message names the tool and shows the line registering it', async () => {
    const dup = file(
      'dup.mjs',
      `import { McpServer } from ${SERVER_URL};\nexport function createServer() {\n  const s = new McpServer({ name: 'd', version: '1' });\n  s.tool('lookup', { description: 'a' }, () => ({ content: [] }));\n  s.tool('lookup', { description: 'b' }, () => ({ content: [] }));\n  return s;\n}\n`,
    );
    const r = await runCliProcess(['start', '--port', '0', '--module', dup]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`in your module ${dup}: its server factory threw \\(${dup}:5:\\d+\\): Tool "lookup" is already registered`));

    const schema = file(
      'schema.mjs',
      `import { McpServer } from ${SERVER_URL};\nexport function createServer() {\n  const s = new McpServer({ name: 'd', version: '1' });\n  s.tool('search_docs', { description: 'a', inputSchema: { type: 'string' } }, () => ({ content: [] }));\n  return s;\n}\n`,
    );
    const r2 = await runCliProcess(['start', '--port', '0', '--module', schema]);
    assert.equal(r2.code, 1);
    assert.match(r2.stderr, /Tool schemas must describe an object/);
    assert.match(r2.stderr, new RegExp(`its server factory threw \\(${schema}:4:\\d+\\)`), 'points at the registering line');
  });

  it('Redis: refused and bad credentials (live), and an unresolvable host, each with its own message', async () => {
    const refused = await runCliProcess(['start', '--port', '0', '--redis', 'redis://127.0.0.1:1']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /erlmcp: error: Redis: connection refused at 127\.0\.0\.1:1: nothing listens there\. Start Redis/);

    const admin = await requireRedis();
    admin.disconnect();
    const auth = await runCliProcess(['start', '--port', '0', '--redis', 'redis://nobody:wrong@127.0.0.1:6379']);
    assert.equal(auth.code, 1);
    assert.match(auth.stderr, /erlmcp: error: Redis at 127\.0\.0\.1:6379 refused the credentials: authentication failed/);
    assert.ok(!auth.stderr.includes('wrong'), 'the password is not printed');

    // DNS is not exercised live (tests only talk to 127.0.0.1): the error getaddrinfo gives.
    const dns = Object.assign(new Error('getaddrinfo ENOTFOUND redis.internal'), { code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname: 'redis.internal' });
    assert.match(redisError(new AggregateError([dns], dns.message), 'redis://redis.internal:6379').message, /Redis: the host name in redis\.internal:6379 does not resolve \(DNS lookup failed\)/);
  });

  it('colours errors only on a TTY without NO_COLOR; piped output has no escape codes', async () => {
    assert.equal(useColor({ isTTY: true }, {}), true);
    assert.equal(useColor({ isTTY: true }, { NO_COLOR: '1' }), false);
    assert.equal(useColor({ isTTY: false }, {}), false);
    let colored = '';
    await runCli(['start', '--config', join(dir, 'nope.json')], { out: () => {}, err: (t) => (colored += t), color: true });
    assert.match(colored, /^\x1b\[31merlmcp: error:\x1b\[39m config file .*nope\.json not found/);
    const piped = await runCliProcess(['start', '--config', join(dir, 'nope.json')]);
    assert.equal(piped.code, 2);
    assert.ok(!piped.stderr.includes('\x1b'), piped.stderr);
  });
});
