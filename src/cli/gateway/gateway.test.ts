/**
 * `erlmcp gateway` as a user runs it: a bad config refused with the field named (exit 2), the
 * gateway on stdio driven by a client that spawns it, and on HTTP with /health, stopped by
 * SIGTERM.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client } from '../../client/client.js';
import { StreamableHttpClientTransport } from '../../transports/http/client.js';
import { StdioClientTransport } from '../../transports/stdio/client.js';
import { runCli } from '../../../test/runtime/cli-process.js';

const MAIN = fileURLToPath(new URL('../main.js', import.meta.url));
const require = createRequire(import.meta.url);
const EVERYTHING = join(dirname(require.resolve('@modelcontextprotocol/server-everything/package.json')), 'dist', 'index.js');

function configFile(config: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'erlmcp-gw-cli-')), 'gateway.json');
  writeFileSync(path, JSON.stringify(config));
  return path;
}

const GOOD = { upstreams: { ev: { type: 'stdio', command: process.execPath, args: [EVERYTHING] } } };

describe('erlmcp gateway', () => {
  it('refuses a config with a bad field, naming it (exit 2)', async () => {
    const path = configFile({ upstreams: { ev: { type: 'stdio', args: [] }, web: { type: 'ws', url: 'http://example.com' } } });
    const r = await runCli(['gateway', '--config', path, '--port', '0']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /upstreams\.ev\.command: /);
    assert.match(r.stderr, /upstreams\.web\.url: /);
  });

  it('refuses a missing config file (exit 2)', async () => {
    const r = await runCli(['gateway', '--config', '/nonexistent/gateway.json']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /gateway config \/nonexistent\/gateway\.json: ENOENT/);
  });

  it('refuses a Redis nobody listens on, explaining it (exit 1)', async () => {
    const r = await runCli(['gateway', '--config', configFile(GOOD), '--port', '0', '--redis', 'redis://127.0.0.1:1']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Redis: connection refused at 127\.0\.0\.1:1/);
  });

  it('serves on stdio to a client that spawns it', async () => {
    const client = new Client({ name: 'cli-stdio', version: '1' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [MAIN, 'gateway', '--config', configFile(GOOD), '--stdio'], stderr: 'ignore' }));
    const names = (await client.listAllTools()).map((t) => t.name);
    assert.ok(names.includes('ev__echo'), names.join(', '));
    assert.deepEqual((await client.callTool({ name: 'ev__echo', arguments: { message: 'via cli' } })).content, [{ type: 'text', text: 'Echo: via cli' }]);
    await client.close();
  });

  it('serves on HTTP with /health, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [MAIN, 'gateway', '--config', configFile(GOOD), '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr.resume();
    const exited = once(child, 'exit');
    try {
      let out = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d;
          const m = /listening on (\S+)\n/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`exited ${String(code)}: ${out}`)));
      });
      const health = (await (await fetch(new URL('/health', url))).json()) as { status: string; upstreams: { name: string; state: string }[] };
      assert.equal(health.status, 'ok');
      assert.deepEqual(health.upstreams.map((u) => [u.name, u.state]), [['ev', 'ready']]);
      const client = new Client({ name: 'cli-http', version: '1' });
      await client.connect(new StreamableHttpClientTransport(url));
      assert.deepEqual((await client.callTool({ name: 'ev__get-sum', arguments: { a: 1, b: 2 } })).content, [{ type: 'text', text: 'The sum of 1 and 2 is 3.' }]);
      await client.close();
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = (await exited) as [number | null];
    assert.equal(code, 0);
  });
});
