/** The README's examples run as documented: quickstart client ↔ server over stdio, and `npm start`. */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const dist = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));

test('README quickstart: the client lists and calls the forecast tool over stdio', async () => {
  const { stdout } = await run(process.execPath, [dist('examples/quickstart/client.js')], { timeout: 120_000 });
  assert.match(stdout, /tools: forecast/);
  assert.match(stdout, /city: 'Lisbon'/);
  assert.match(stdout, /highs: \[ 20, 21, 22 \]/);
});

test('npm start: the everything server prints its endpoint and answers initialize', async () => {
  const child = spawn(process.execPath, [dist('examples/everything/main.js'), '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /endpoint:\s+(http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(out);
        if (m?.[1]) resolve(m[1]);
      });
      child.on('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
    });
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
    });
    assert.equal(res.status, 200);
    assert.ok(res.headers.get('mcp-session-id'));
    const body = await res.text();
    assert.match(body, /"protocolVersion":"2025-11-25"/);
    assert.match(body, /erlmcp-everything/);
  } finally {
    child.kill('SIGTERM');
  }
});

test('npm start (scripts/start.mjs): serves from a current dist/ without building', async () => {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  const child = spawn(process.execPath, ['scripts/start.mjs', '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /endpoint:\s+(http:\/\/127\.0\.0\.1:\d+\/mcp)[\s\S]*ready:/.exec(out);
        if (m?.[1]) resolve(m[1]);
      });
      child.on('exit', (code) => reject(new Error(`npm start exited ${code}: ${out}${err}`)));
    });
    assert.equal((await fetch(new URL('/health', url))).status, 200);
    assert.ok(!err.includes('building'), `no build when dist/ is current: ${err}`);
  } finally {
    child.kill('SIGTERM');
  }
});
