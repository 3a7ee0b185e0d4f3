/**
 * Interop (issue 5): the official SDK's WebSocket client drives our McpWebSocketServer serving
 * the everything server. The SDK client opens its socket on the global `WebSocket` with the
 * subprotocol `mcp`; browsers, Node's built-in WebSocket (undici) and `ws` all fail the
 * handshake unless the server echoes a subprotocol it was offered — so this checks that too.
 * (The SDK's legacy SSE client is covered in src/transports/sse-legacy/interop.test.ts.)
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it, type TestContext } from 'node:test';
import { WebSocket } from 'ws';
import { createEverythingServer } from '../../examples/everything/server.js';
import { McpWebSocketServer } from '../../src/transports/ws/index.js';
import { until, WAIT_MS } from '../helpers/pair.js';
import { runSdkWsScenario, type SdkWsObservation } from './fixtures/sdk-ws-client.js';

const CLIENT_SCRIPT = fileURLToPath(new URL('./fixtures/sdk-ws-client.js', import.meta.url));

async function startServer(t: TestContext): Promise<{ wss: McpWebSocketServer; url: string }> {
  const server = createEverythingServer();
  const wss = new McpWebSocketServer({ server });
  const { url } = await wss.listen(0, '127.0.0.1');
  t.after(async () => {
    await wss.close();
    await server.close();
  });
  return { wss, url };
}

function assertScenario(o: SdkWsObservation): void {
  assert.equal(o.protocol, 'mcp', 'the handshake settled on the mcp subprotocol');
  assert.equal(o.serverName, 'erlmcp-everything');
  for (const name of ['add_numbers', 'test_sampling', 'test_tool_with_progress']) assert.ok(o.toolNames.includes(name), `listTools has ${name}`);
  assert.deepEqual(o.addNumbers, { content: [{ type: 'text', text: '42' }], structuredContent: { sum: 42 } });
  assert.equal(o.samplingPrompt, 'what is 6 x 7?', "the SDK client's sampling handler got our tool's prompt");
  assert.deepEqual(o.sampling, [{ type: 'text', text: 'LLM response: sdk says what is 6 x 7?' }]);
  assert.ok(o.progressToken !== undefined && o.progressToken !== 'no progress token', 'the SDK sent a progress token');
  assert.deepEqual(o.progressOnWire, [0, 50, 100], 'every progress notification reached the client before the response');
  // The SDK runs notification handlers a microtask late but drops a request's progress handler
  // the moment its response arrives; the tool answers right after its last progress, so the SDK
  // may swallow that one. What it did hand over is in order.
  assert.ok(o.progressSeen.length >= 2, `onprogress saw ${JSON.stringify(o.progressSeen)}`);
  assert.deepEqual(o.progressSeen, o.progressOnWire.slice(0, o.progressSeen.length));
  assert.deepEqual(o.errors, []);
}

describe('official SDK WebSocket client → our McpWebSocketServer (everything server)', () => {
  it('initializes, lists tools, adds numbers, answers sampling and gets progress (ws as the global WebSocket)', async (t) => {
    const { wss, url } = await startServer(t);
    const g = globalThis as { WebSocket?: unknown };
    const original = g.WebSocket;
    g.WebSocket = WebSocket;
    t.after(() => {
      g.WebSocket = original;
    });
    const observed = await runSdkWsScenario(url);
    assertScenario(observed);
    await until(() => wss.connectionCount === 0, WAIT_MS, 'the SDK client close to end our session');
  });

  it("does the same with Node's built-in WebSocket (undici), in a child process", async (t) => {
    const { url } = await startServer(t);
    // Node 20 ships the WHATWG WebSocket behind a flag; later versions expose it by default.
    const flags = typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'function' ? [] : ['--experimental-websocket'];
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [...flags, '--no-warnings', CLIENT_SCRIPT, '--child', url], { timeout: 120_000 }, (err, out, errOut) =>
        err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out),
      );
    });
    assertScenario(JSON.parse(stdout.trim().split('\n').pop()!) as SdkWsObservation);
  });

  it('echoes the mcp subprotocol when a client offers it, and selects none when none is offered', async (t) => {
    const { url } = await startServer(t);
    const open = (protocols: string[]) =>
      new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(url, protocols);
        ws.once('open', () => resolve(ws));
        ws.once('error', reject);
      });
    const offered = await open(['mcp']);
    assert.equal(offered.protocol, 'mcp');
    const plain = await open([]);
    assert.equal(plain.protocol, '');
    offered.close();
    plain.close();
  });
});
