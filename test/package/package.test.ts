/**
 * The package as a new user gets it: a clean clone packed with `npm pack`, installed from the
 * tarball into a fresh ESM app, which then runs a stdio server and client, an HTTP server and
 * client, type-checks against the shipped declarations and runs `npx erlmcp --help`.
 * publint and @arethetypeswrong/cli (ESM-only profile) must be clean on the same tarball.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { childEnv, exec, npm, npmCliScript, npx } from './npm.js';
import { packCleanClone, REPO_ROOT, type Packed } from './tarball.js';

const require = createRequire(import.meta.url);
const bin = (pkg: string, file: string) => join(REPO_ROOT, 'node_modules', pkg, file);

const SERVER = `import { McpServer } from 'erlmcp/server';
import { StdioServerTransport } from 'erlmcp/transports/stdio';

const server = new McpServer({ name: 'app', version: '1.0.0' });
server.tool(
  'add',
  { description: 'Adds two numbers', inputSchema: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] } },
  ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }] }),
);
await server.connect(new StdioServerTransport());
`;

const CLIENT = `import { Client } from 'erlmcp/client';
import { StdioClientTransport } from 'erlmcp/transports/stdio';

const client = new Client({ name: 'app-client', version: '1.0.0' });
await client.connect(new StdioClientTransport({ command: process.execPath, args: [new URL('./server.js', import.meta.url).pathname] }));
const { tools } = await client.listTools();
const result = await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
console.log(JSON.stringify({ tools: tools.map((t) => t.name), text: result.content[0].text }));
await client.close();
`;

const HTTP = `import { McpServer, Client } from 'erlmcp';
import { StreamableHttpServer, StreamableHttpClientTransport } from 'erlmcp/transports/http';

const server = new McpServer({ name: 'http-app', version: '1.0.0' });
server.resource('app://greeting', { name: 'greeting', mimeType: 'text/plain' }, () => ({ contents: [{ uri: 'app://greeting', text: 'hello' }] }));
const http = new StreamableHttpServer({ server });
const { url } = await http.listen(0, '127.0.0.1');
const client = new Client({ name: 'http-client', version: '1.0.0' });
await client.connect(new StreamableHttpClientTransport(url));
const read = await client.readResource('app://greeting');
console.log(JSON.stringify({ text: read.contents[0].text }));
await client.close();
await http.close();
`;

const TYPES = `import { McpServer, type ToolHandler } from 'erlmcp/server';
import { Client } from 'erlmcp/client';
import { InMemoryTransport } from 'erlmcp/transports/memory';
import type { CallToolResult } from 'erlmcp/protocol';

const server = new McpServer({ name: 't', version: '1' });
const handler: ToolHandler<undefined, undefined> = () => ({ content: [{ type: 'text', text: 'ok' }] });
server.tool('t', { description: 'd' }, handler);
const [a, b] = InMemoryTransport.createLinkedPair();
await server.connect(a);
const client = new Client({ name: 'c', version: '1' });
await client.connect(b);
const r: CallToolResult = await client.callTool({ name: 't', arguments: {} });
// @ts-expect-error: the shipped declarations are precise enough to reject this.
const n: number = r.content;
export { n };
`;

describe('the npm package', { timeout: 600_000 }, () => {
  let packed: Packed | undefined;
  let app = '';
  after(() => packed?.cleanup());

  before(async () => {
    packed = await packCleanClone();
    app = join(packed.dir, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'fresh-app', version: '1.0.0', private: true, type: 'module' }, null, 2));
    // --prefer-offline: dependencies come from npm's cache when it has them (the registry otherwise).
    // @types/node as a Node TypeScript app has it: the declarations name Node types (Buffer, http).
    await npm(['install', '--no-audit', '--no-fund', '--prefer-offline', packed.tarball, '@types/node@^20.19.0'], app, 300_000);
  });

  it('ships dist without tests or fixtures, with declaration maps and the sources they point to', async () => {
    const { stdout } = await exec('tar', ['tzf', packed!.tarball], { cwd: packed!.dir });
    const files = stdout.split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));
    assert.ok(files.includes('dist/src/index.js') && files.includes('dist/src/index.d.ts'), 'the entry point is built');
    assert.ok(files.includes('dist/src/cli/main.js'), 'the bin is built');
    assert.deepEqual(files.filter((f) => /\.test\.|\/fixtures\/|^dist\/(test|bench|conformance)\//.test(f)), [], 'no test, fixture, bench or conformance file');
    const maps = files.filter((f) => f.endsWith('.map'));
    assert.ok(maps.some((f) => f.endsWith('.d.ts.map')), 'declaration maps are shipped');
    for (const map of maps) {
      const { sources } = JSON.parse(readFileSync(join(app, 'node_modules/erlmcp', map), 'utf8')) as { sources: string[] };
      for (const s of sources) {
        const target = join(map, '..', s);
        assert.ok(files.includes(target), `${map} points to ${target}, which is shipped`);
      }
    }
    assert.ok(files.includes('examples/quickstart/server.ts'), 'the README quickstart is shipped');
  });

  it('runs a stdio server and client from the installed package', async () => {
    writeFileSync(join(app, 'server.js'), SERVER);
    writeFileSync(join(app, 'client.js'), CLIENT);
    const { stdout } = await exec(process.execPath, ['client.js'], { cwd: app, timeout: 240_000 });
    assert.deepEqual(JSON.parse(stdout), { tools: ['add'], text: '5' });
  });

  it('runs a Streamable HTTP server and client from the installed package', async () => {
    writeFileSync(join(app, 'http.js'), HTTP);
    const { stdout } = await exec(process.execPath, ['http.js'], { cwd: app, timeout: 240_000 });
    assert.deepEqual(JSON.parse(stdout), { text: 'hello' });
  });

  it('resolves every export and its types under strict NodeNext TypeScript', async () => {
    const pkg = JSON.parse(readFileSync(join(app, 'node_modules/erlmcp/package.json'), 'utf8')) as { exports: Record<string, unknown> };
    const specifiers = Object.keys(pkg.exports).map((k) => (k === '.' ? 'erlmcp' : `erlmcp/${k.slice(2)}`));
    writeFileSync(join(app, 'imports.js'), `${specifiers.map((s, i) => `import * as m${i} from '${s}';`).join('\n')}\nconsole.log([${specifiers.map((_, i) => `Object.keys(m${i}).length`).join(', ')}].join(','));\n`);
    const { stdout } = await exec(process.execPath, ['imports.js'], { cwd: app, timeout: 240_000 });
    assert.ok(stdout.trim().split(',').every((n) => Number(n) > 0), `every export has named exports: ${stdout}`);

    writeFileSync(join(app, 'check.ts'), TYPES);
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, skipLibCheck: false, types: ['node'] }, files: ['check.ts'] }));
    await exec(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: app, timeout: 120_000 });
  });

  it('runs `npx erlmcp --help` and `--version`', async () => {
    const help = await npx(['--no-install', 'erlmcp', '--help'], app);
    assert.match(help.stdout, /Usage: erlmcp \[options\] \[command\]/);
    assert.match(help.stdout, /\bstart\b/);
    const version = await npx(['--no-install', 'erlmcp', '--version'], app);
    assert.equal(version.stdout.trim(), (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version);
  });

  it('is clean under publint and @arethetypeswrong/cli (ESM-only profile)', async () => {
    const extracted = join(packed!.dir, 'extracted');
    mkdirSync(extracted);
    await exec('tar', ['xzf', packed!.tarball, '-C', extracted], { cwd: packed!.dir });
    const lint = await exec(process.execPath, [bin('publint', 'src/cli.js'), join(extracted, 'package'), '--pack', 'false', '--strict'], { cwd: packed!.dir });
    assert.match(lint.stdout, /All good!/, lint.stdout);
    const attw = await exec(process.execPath, [bin('@arethetypeswrong/cli', 'dist/index.js'), packed!.tarball, '--profile', 'esm-only', '--format', 'json'], { cwd: packed!.dir, allowFail: true });
    const report = JSON.parse(attw.stdout) as { problems?: Record<string, { resolutionKind?: string }[]> };
    const problems = Object.values(report.problems ?? {}).flat().filter((p) => p.resolutionKind !== 'node10' && p.resolutionKind !== 'node16-cjs');
    assert.deepEqual(problems, [], attw.stdout);
    assert.equal(attw.code, 0, attw.stderr);
  });

  it('erlmcp init: the scaffold installs, passes its own npm test, and serves with npm start', async () => {
    const t0 = Date.now();
    const init = await npx(['--no-install', 'erlmcp', 'init', 'my-server', '--erlmcp', `file:${packed!.tarball}`], app, 300_000);
    assert.match(init.stdout, /created 6 files in my-server/);
    const proj = join(app, 'my-server');
    const pkg = JSON.parse(readFileSync(join(proj, 'package.json'), 'utf8')) as { name: string; scripts: Record<string, string> };
    assert.equal(pkg.name, 'my-server');
    const test = await npm(['test'], proj, 120_000);
    assert.match(test.stdout, /# pass 1\n# fail 0/);
    await exec(process.execPath, [require.resolve('typescript/bin/tsc'), '--noEmit', '-p', 'tsconfig.json'], { cwd: proj, timeout: 120_000 });
    // Measured, not asserted (the machine is shared): init + install + test + typecheck.
    console.log(`# erlmcp init → npm test → tsc: ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    const server = spawn(process.execPath, [npmCliScript('npm'), 'start'], { cwd: proj, env: childEnv({ PORT: '0' }), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        server.stdout.on('data', (d: Buffer) => {
          out += d;
          const m = /endpoint: (\S+)[\s\S]*ready:/.exec(out);
          if (m) resolve(m[1]!);
        });
        server.on('exit', (code) => reject(new Error(`npm start exited ${code}: ${out}`)));
      });
      const call = await npx(['--no-install', 'erlmcp', 'call', url, 'call', 'add', '{"a":2,"b":40}'], app);
      assert.match(call.stdout, /^42\n/);
    } finally {
      process.kill(-server.pid!, 'SIGTERM');
    }

    const stdio = await npx(['--no-install', 'erlmcp', 'init', 'stdio-server', '--transport', 'stdio', '--no-install'], app);
    assert.match(stdio.stdout, /npm install && npm test/);
    const stdioPkg = JSON.parse(readFileSync(join(app, 'stdio-server/package.json'), 'utf8')) as { scripts: Record<string, string> };
    assert.equal(stdioPkg.scripts.start, 'erlmcp start --stdio --module src/server.ts');
    const refused = await exec(process.execPath, [npmCliScript('npx'), '--no-install', 'erlmcp', 'init', 'stdio-server'], { cwd: app, allowFail: true });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /stdio-server is not empty: choose a new folder/);
  });
});
