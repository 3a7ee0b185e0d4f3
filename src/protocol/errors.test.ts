import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErlmcpError, ErrorCode, McpError, toError } from './errors.js';

describe('toError', () => {
  it('passes an Error (and subclasses) through as the same object', () => {
    const plain = new Error('x');
    const wire = new McpError(ErrorCode.InvalidParams, 'bad');
    const local = new ErlmcpError('ERR_TIMEOUT', 'late');
    assert.equal(toError(plain), plain);
    assert.equal(toError(wire), wire);
    assert.equal(toError(local), local);
  });

  it('wraps anything else in an Error carrying its text', () => {
    assert.equal(toError('boom').message, 'boom');
    assert.equal(toError(42).message, '42');
    assert.equal(toError(undefined).message, 'undefined');
    assert.ok(toError({ a: 1 }) instanceof Error);
  });
});

describe('ErrorCode', () => {
  it('has one server error code (-32000) for transport rejections and limits', () => {
    assert.equal(ErrorCode.ServerError, -32000);
  });
});
