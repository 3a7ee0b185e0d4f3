/** Namespaces, gateway URIs and cursors: what the gateway's clients see of upstream names. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { McpError } from '../protocol/errors.js';
import { decodeCursor, encodeCursor, Names } from './names.js';

const names = new Names([
  { upstream: 'a', ns: 'a__', resources: 'prefix' },
  { upstream: 'ab', ns: 'a__b__', resources: 'prefix' },
  { upstream: 'files', ns: 'fs.', resources: 'passthrough' },
  { upstream: 'bare', ns: '', resources: 'prefix' },
]);

describe('gateway names', () => {
  it('splits a name by its longest namespace; an empty namespace takes the rest', () => {
    assert.deepEqual(names.split('a__echo'), { upstream: 'a', name: 'echo' });
    assert.deepEqual(names.split('a__b__echo'), { upstream: 'ab', name: 'echo' });
    assert.deepEqual(names.split('fs.read_file'), { upstream: 'files', name: 'read_file' });
    assert.deepEqual(names.split('echo'), { upstream: 'bare', name: 'echo' });
    assert.equal(new Names([{ upstream: 'a', ns: 'a__', resources: 'prefix' }]).split('b__echo'), undefined);
    assert.equal(new Names([{ upstream: 'a', ns: 'a__', resources: 'prefix' }]).split('a__'), undefined);
  });

  it('rewrites URIs of prefix upstreams reversibly and leaves passthrough ones', () => {
    assert.equal(names.uri('a', 'demo://doc/1?x=y#z'), 'mcp-gw://a/demo://doc/1?x=y#z');
    assert.deepEqual(names.splitUri('mcp-gw://a/demo://doc/1?x=y#z'), { upstream: 'a', uri: 'demo://doc/1?x=y#z' });
    assert.equal(names.uri('files', 'file:///tmp/x'), 'file:///tmp/x');
    assert.equal(names.splitUri('file:///tmp/x'), undefined);
    assert.throws(() => names.splitUri('mcp-gw://nobody/x'), (e: unknown) => e instanceof McpError && e.code === -32002);
    assert.throws(() => names.splitUri('mcp-gw://files/file:///x'), (e: unknown) => e instanceof McpError && e.code === -32002);
  });

  it('rewrites resource links and embedded resources in content', () => {
    const out = names.content('a', [
      { type: 'text', text: 'hi' },
      { type: 'resource_link', uri: 'demo://doc/1', name: 'd' },
      { type: 'resource', resource: { uri: 'demo://doc/2', text: 't' } },
    ]);
    assert.deepEqual(out, [
      { type: 'text', text: 'hi' },
      { type: 'resource_link', uri: 'mcp-gw://a/demo://doc/1', name: 'd' },
      { type: 'resource', resource: { uri: 'mcp-gw://a/demo://doc/2', text: 't' } },
    ]);
  });

  it('round-trips cursors and refuses foreign ones with -32602', () => {
    assert.deepEqual(decodeCursor(encodeCursor({ upstream: 'a', cursor: 'xyz' })), { upstream: 'a', cursor: 'xyz' });
    assert.deepEqual(decodeCursor(encodeCursor({ upstream: 'b' })), { upstream: 'b' });
    assert.equal(decodeCursor(undefined), undefined);
    for (const bad of ['nope', 42, Buffer.from('[1,2]').toString('base64url'), Buffer.from('["a",2]').toString('base64url')]) {
      assert.throws(() => decodeCursor(bad), (e: unknown) => e instanceof McpError && e.code === -32602);
    }
  });
});
