import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeBatch, encodeMessage, shareResult } from './encode.js';
import type { JSONRPCMessage } from './types.js';

describe('encodeMessage', () => {
  const listing = () => ({ tools: [{ name: 'echo', inputSchema: { type: 'object', properties: { text: { type: 'string' } } } }], nextCursor: 'abc' });

  it('writes a shared result exactly as JSON.stringify would, for string and number ids', () => {
    const shared = shareResult(listing());
    for (const id of [7, 'req-"quoted"\n']) {
      const m = { jsonrpc: '2.0', id, result: shared } as JSONRPCMessage;
      assert.equal(encodeMessage(m), JSON.stringify({ jsonrpc: '2.0', id, result: listing() }));
      assert.deepEqual(JSON.parse(encodeMessage(m)), { jsonrpc: '2.0', id, result: listing() });
    }
  });

  it('freezes a shared result so nobody can change what its cached JSON says', () => {
    const shared = shareResult(listing());
    assert.throws(() => {
      (shared as { nextCursor?: string }).nextCursor = 'changed';
    }, TypeError);
  });

  it('serialises ordinary messages and batches with JSON.stringify', () => {
    const a = { jsonrpc: '2.0', id: 1, result: { content: [] } } as JSONRPCMessage;
    const b = { jsonrpc: '2.0', id: 2, result: shareResult({ prompts: [] }) } as JSONRPCMessage;
    assert.equal(encodeMessage(a), JSON.stringify(a));
    assert.deepEqual(JSON.parse(encodeBatch([a, b])), [JSON.parse(JSON.stringify(a)), { jsonrpc: '2.0', id: 2, result: { prompts: [] } }]);
    assert.deepEqual(JSON.parse(encodeBatch([b])), [{ jsonrpc: '2.0', id: 2, result: { prompts: [] } }]);
  });
});
