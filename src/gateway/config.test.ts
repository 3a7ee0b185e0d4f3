/**
 * The gateway config: the example in docs/gateway.md loads; every kind of bad field is refused
 * with its path named; `${VAR}` comes from the environment; namespaces may not collide; limits
 * at and past their bounds.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ErlmcpError } from '../protocol/errors.js';
import { parseGatewayConfig } from './config.js';

const DOC = fileURLToPath(new URL('../../../docs/gateway.md', import.meta.url));

function refused(config: unknown, ...patterns: RegExp[]): void {
  assert.throws(
    () => parseGatewayConfig(config, {}),
    (e: unknown) => {
      assert.ok(e instanceof ErlmcpError && e.code === 'ERR_INVALID_ARGUMENT', String(e));
      for (const p of patterns) assert.match(e.message, p);
      return true;
    },
  );
}

const stdio = { type: 'stdio', command: 'node' };

describe('gateway config', () => {
  it('loads the example of docs/gateway.md', () => {
    const md = readFileSync(DOC, 'utf8');
    const m = /<!-- gateway-example -->\s*```json\n([\s\S]*?)```/.exec(md);
    assert.ok(m, 'the example block is in docs/gateway.md');
    const config = parseGatewayConfig(JSON.parse(m[1]!), { SEARCH_TOKEN: 's3cret', LIVE_TOKEN: 'l1ve' });
    assert.deepEqual(Object.keys(config.upstreams), ['files', 'memory', 'search', 'live']);
    const search = config.upstreams.search!;
    assert.ok(search.type === 'http' && search.bearer === 's3cret');
    const live = config.upstreams.live!;
    assert.ok(live.type === 'ws' && live.headers?.authorization === 'Bearer l1ve');
    assert.equal(config.redis, 'redis://redis.internal:6379');
    assert.equal(config.redisPrefix, 'team-gateway:');
  });

  it('takes a redis:// or rediss:// URL for redis, and names anything else', () => {
    assert.equal(parseGatewayConfig({ upstreams: { fs: stdio }, redis: 'rediss://user:pw@cache.example.com:6380' }).redis, 'rediss://user:pw@cache.example.com:6380');
    refused({ upstreams: { fs: stdio }, redis: 'http://127.0.0.1:6379' }, /redis: expected a redis:\/\/ or rediss:\/\/ URL/);
    refused({ upstreams: { fs: stdio }, redis: '127.0.0.1:6379' }, /redis: expected a redis:\/\/ or rediss:\/\/ URL/);
  });

  it('names a missing required field', () => {
    refused({ upstreams: { fs: { type: 'stdio' } } }, /upstreams\.fs\.command: /);
  });

  it('names an unknown upstream type', () => {
    refused({ upstreams: { fs: { type: 'sse', url: 'http://x' } } }, /upstreams\.fs\.type: /);
  });

  it('names an unknown field (a typo is not ignored)', () => {
    refused({ upstreams: { fs: { ...stdio, timeout: 5 } } }, /upstreams\.fs: Unrecognized key: "timeout"/);
    refused({ upstreams: { fs: stdio }, seperator: '.' }, /\(root\): Unrecognized key: "seperator"/);
  });

  it('names a URL of the wrong scheme for its type', () => {
    refused({ upstreams: { live: { type: 'ws', url: 'http://example.com/mcp' } } }, /upstreams\.live\.url: /);
    refused({ upstreams: { web: { type: 'http', url: 'not a url' } } }, /upstreams\.web\.url: /);
  });

  it('names every bad field at once', () => {
    refused({ upstreams: { a: { type: 'stdio' }, b: { type: 'http', url: 'x' } } }, /upstreams\.a\.command/, /upstreams\.b\.url/);
  });

  it('refuses no upstreams, and a bad upstream name', () => {
    refused({ upstreams: {} }, /upstreams: at least one upstream is needed/);
    refused({ upstreams: { 'has space': stdio } }, /an upstream name is 1–63 letters/);
    refused({}, /upstreams: /);
  });

  it('replaces ${VAR} in env, headers and bearer, and names an unset one', () => {
    const c = parseGatewayConfig(
      { upstreams: { a: { ...stdio, env: { TOKEN: 'x-${A}-y' } }, b: { type: 'http', url: 'http://127.0.0.1/mcp', headers: { 'x-k': '${B}' }, bearer: '${B}' } } },
      { A: '1', B: '2' },
    );
    assert.deepEqual(c.upstreams.a!.type === 'stdio' && c.upstreams.a!.env, { TOKEN: 'x-1-y' });
    const b = c.upstreams.b!;
    assert.ok(b.type === 'http' && b.bearer === '2' && b.headers?.['x-k'] === '2');
    refused({ upstreams: { b: { type: 'http', url: 'http://127.0.0.1/mcp', bearer: '${NOT_SET_ANYWHERE}' } } }, /upstreams\.b\.bearer: environment variable NOT_SET_ANYWHERE is not set/);
  });

  it('refuses two upstreams with one namespace', () => {
    refused({ upstreams: { a: stdio, b: { ...stdio, prefix: 'a' } } }, /upstreams\.b\.prefix: "a__" is already the namespace of upstream a/);
    // Same prefix, other separator: distinct namespaces.
    assert.doesNotThrow(() => parseGatewayConfig({ upstreams: { a: stdio, b: { ...stdio, prefix: 'a', separator: '.' } } }, {}));
  });

  it('accepts timeoutMs up to 24 h and refuses past it', () => {
    assert.equal(parseGatewayConfig({ upstreams: { a: { ...stdio, timeoutMs: 86_400_000 } } }, {}).upstreams.a!.timeoutMs, 86_400_000);
    refused({ upstreams: { a: { ...stdio, timeoutMs: 86_400_001 } } }, /upstreams\.a\.timeoutMs: /);
    refused({ upstreams: { a: { ...stdio, timeoutMs: 0 } } }, /upstreams\.a\.timeoutMs: /);
  });

  it('accepts a separator of up to 8 characters and refuses longer', () => {
    assert.doesNotThrow(() => parseGatewayConfig({ upstreams: { a: stdio }, separator: '12345678' }, {}));
    refused({ upstreams: { a: stdio }, separator: '123456789' }, /separator: /);
  });

  it('checks pool and cache settings by name', () => {
    refused({ upstreams: { a: { ...stdio, pool: { maxSessions: 0 } } } }, /upstreams\.a\.pool\.maxSessions: /);
    refused({ upstreams: { a: { ...stdio, cache: { scope: 'everyone' } } } }, /upstreams\.a\.cache\.scope: /);
  });
});
