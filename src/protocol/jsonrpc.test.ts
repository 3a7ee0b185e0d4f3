import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { McpError, UrlElicitationRequiredError } from './errors.js';
import { classify, errorResponse, isErrorResponse, isNotification, isRequest, isResponse, parseErrorResponse, parseJson, resultResponse } from './jsonrpc.js';

describe('classify', () => {
  it('recognises requests, notifications and responses', () => {
    assert.equal(classify({ jsonrpc: '2.0', id: 1, method: 'ping' }).kind, 'request');
    assert.equal(classify({ jsonrpc: '2.0', id: 'a', method: 'ping', params: {} }).kind, 'request');
    assert.equal(classify({ jsonrpc: '2.0', method: 'notifications/initialized' }).kind, 'notification');
    assert.equal(classify({ jsonrpc: '2.0', id: 1, result: {} }).kind, 'response');
    assert.equal(classify({ jsonrpc: '2.0', id: 1, error: { code: -32600, message: 'x' } }).kind, 'response');
    // Error responses to unparsable requests carry id null.
    assert.equal(classify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'x' } }).kind, 'response');
  });

  it('rejects non-objects and arrays with id null', () => {
    for (const v of [null, 42, 'text', true, [], [{ jsonrpc: '2.0', id: 1, method: 'ping' }], undefined]) {
      assert.deepEqual(classify(v), { kind: 'invalid', id: null, reason: 'Message must be a JSON object' }, String(v));
    }
  });

  it('rejects a missing or wrong jsonrpc field but keeps the id', () => {
    const c = classify({ id: 7, method: 'ping' });
    assert.equal(c.kind, 'invalid');
    assert.equal(c.kind === 'invalid' && c.id, 7);
    const d = classify({ jsonrpc: '1.0', id: 'x', method: 'ping' });
    assert.equal(d.kind === 'invalid' && d.id, 'x');
  });

  it('rejects a non-string method, non-object params, and a null or fractional id', () => {
    const m = classify({ jsonrpc: '2.0', id: 2, method: 5 });
    assert.equal(m.kind, 'invalid');
    assert.equal(m.kind === 'invalid' && m.id, 2);
    assert.match(m.kind === 'invalid' ? m.reason : '', /method/);
    for (const params of [null, [1, 2], 'p', 3]) {
      const c = classify({ jsonrpc: '2.0', id: 3, method: 'x', params });
      assert.equal(c.kind, 'invalid', JSON.stringify(params));
      assert.equal(c.kind === 'invalid' && c.id, 3);
    }
    const nullId = classify({ jsonrpc: '2.0', id: null, method: 'ping' });
    assert.deepEqual(nullId.kind === 'invalid' && nullId.id, null);
    assert.equal(nullId.kind, 'invalid');
    assert.equal(classify({ jsonrpc: '2.0', id: 1.5, method: 'ping' }).kind, 'invalid');
    assert.equal(classify({ jsonrpc: '2.0', id: { a: 1 }, method: 'ping' }).kind, 'invalid');
  });

  it('rejects malformed responses', () => {
    assert.equal(classify({ jsonrpc: '2.0', id: 1, result: null }).kind, 'invalid');
    assert.equal(classify({ jsonrpc: '2.0', id: 1, result: 5 }).kind, 'invalid');
    assert.equal(classify({ jsonrpc: '2.0', id: 1, error: { code: 'x', message: 'm' } }).kind, 'invalid');
    assert.equal(classify({ jsonrpc: '2.0', id: 1, error: { code: 1 } }).kind, 'invalid');
    assert.equal(classify({ jsonrpc: '2.0', id: 1, error: null }).kind, 'invalid');
    assert.equal(classify({ jsonrpc: '2.0', id: 1 }).kind, 'invalid');
  });
});

describe('message builders', () => {
  it('build result and error responses', () => {
    assert.deepEqual(resultResponse(1, { a: 1 }), { jsonrpc: '2.0', id: 1, result: { a: 1 } });
    assert.deepEqual(errorResponse(null, { code: -32600, message: 'bad' }), { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'bad' } });
    const p = parseErrorResponse('Unexpected token');
    assert.equal(p.id, null);
    assert.equal(p.error.code, -32700);
    assert.match(p.error.message, /Unexpected token/);
  });

  it('parseJson returns the value or a ready -32700 response', () => {
    assert.deepEqual(parseJson('{"a":[1]}'), { ok: true, value: { a: [1] } });
    const bad = parseJson('{"a":');
    assert.equal(bad.ok, false);
    assert.equal(!bad.ok && bad.response.error.code, -32700);
    assert.equal(!bad.ok && bad.response.id, null);
  });

  it('type guards tell message kinds apart', () => {
    const req = { jsonrpc: '2.0' as const, id: 1, method: 'm' };
    const note = { jsonrpc: '2.0' as const, method: 'n' };
    const res = { jsonrpc: '2.0' as const, id: 1, result: {} };
    const err = { jsonrpc: '2.0' as const, id: 1, error: { code: 1, message: 'e' } };
    assert.deepEqual([isRequest(req), isNotification(req), isResponse(req)], [true, false, false]);
    assert.deepEqual([isRequest(note), isNotification(note), isResponse(note)], [false, true, false]);
    assert.deepEqual([isResponse(res), isErrorResponse(res)], [true, false]);
    assert.deepEqual([isResponse(err), isErrorResponse(err)], [true, true]);
  });
});

describe('McpError', () => {
  it('serialises to a JSON-RPC error object and back', () => {
    const e = new McpError(-32602, 'bad', { field: 'x' });
    assert.deepEqual(e.toJSON(), { code: -32602, message: 'bad', data: { field: 'x' } });
    assert.deepEqual(new McpError(-32601, 'no').toJSON(), { code: -32601, message: 'no' });
    const back = McpError.fromObject(e.toJSON());
    assert.ok(back instanceof McpError);
    assert.deepEqual([back.code, back.message, back.data], [-32602, 'bad', { field: 'x' }]);
  });

  it('revives -32042 as UrlElicitationRequiredError with its elicitations', () => {
    const elicitations = [{ mode: 'url' as const, message: 'Sign in', elicitationId: 'e1', url: 'https://example.com/auth' }];
    const e = McpError.fromObject(new UrlElicitationRequiredError(elicitations).toJSON());
    assert.ok(e instanceof UrlElicitationRequiredError);
    assert.equal(e.code, -32042);
    assert.deepEqual((e as UrlElicitationRequiredError).elicitations, elicitations);
  });
});
