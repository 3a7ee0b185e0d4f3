import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErlmcpError } from '../../protocol/errors.js';
import { canonicalJson, entryKey, identityOf } from './key.js';

describe('cache keys', () => {
  it('canonical JSON sorts keys at every depth and keeps array order', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 0 }], c: 3 } }), '{"a":{"c":3,"d":[2,{"y":0,"z":1}]},"b":1}');
    assert.equal(canonicalJson({ b: 1, a: 2 }), canonicalJson({ a: 2, b: 1 }));
    assert.notEqual(canonicalJson([1, 2]), canonicalJson([2, 1]));
  });

  it('refuses what JSON cannot carry, with a local error', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.throws(() => canonicalJson(cyclic), (e: unknown) => e instanceof ErlmcpError && e.code === 'ERR_INVALID_ARGUMENT');
    assert.throws(() => canonicalJson({ n: 1n }), ErlmcpError);
  });

  it('keys differ by class, target, caller (shared vs anonymous caller too) and arguments', () => {
    const keys = [
      entryKey('tools', 'a', undefined, '{}'),
      entryKey('tools', 'a', '', '{}'),
      entryKey('tools', 'a', 'jwt:alice', '{}'),
      entryKey('tools', 'a', 'jwt:bob', '{}'),
      entryKey('tools', 'b', undefined, '{}'),
      entryKey('tools', 'a', undefined, '{"x":1}'),
      entryKey('resources', 'a', undefined, ''),
    ].map((k) => k.local);
    assert.equal(new Set(keys).size, keys.length);
  });

  it('the caller is the auth method and subject (client id without a subject), or anonymous', () => {
    assert.equal(identityOf(undefined), '');
    assert.equal(identityOf({ method: 'jwt', subject: 'alice' }), 'jwt:alice');
    assert.equal(identityOf({ method: 'api-key', clientId: 'ci' }), 'api-key:ci');
  });
});
