/**
 * `npm ci` on the oldest Node the package supports prints no EBADENGINE warning: every package
 * in the lockfile accepts the engines floor of package.json. (A transitive devDependency once
 * required Node ≥ 22 — content-type 3 via @octokit/request — and is pinned by `overrides`.)
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import semver from 'semver';
import { REPO_ROOT } from './tarball.js';

const read = (f: string) => JSON.parse(readFileSync(`${REPO_ROOT}${f}`, 'utf8')) as Record<string, unknown>;

describe('engines', () => {
  it('every locked package accepts the Node floor of package.json', () => {
    const floor = semver.minVersion((read('package.json').engines as { node: string }).node)!.version;
    assert.equal(floor, '20.19.0');
    const packages = read('package-lock.json').packages as Record<string, { engines?: { node?: string } | string[] }>;
    const refusing = Object.entries(packages)
      .filter(([, p]) => p.engines && !Array.isArray(p.engines) && p.engines.node && !semver.satisfies(floor, p.engines.node))
      .map(([name, p]) => `${name} wants node ${(p.engines as { node: string }).node}`);
    assert.deepEqual(refusing, []);
  });
});
