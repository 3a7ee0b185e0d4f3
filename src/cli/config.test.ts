import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli, startCli } from '../../test/helpers/cli.js';
import { findConfigFile, loadConfigFile, resolveStartOptions } from './config.js';
import { CliError } from './errors.js';

const root = mkdtempSync(join(tmpdir(), 'erlmcp-config-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
function folder(files: Record<string, string>): string {
  const dir = join(root, String(n++));
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('config file and precedence', () => {
  it('takes flags over ERLMCP_* over PORT/REDIS_URL over the config file over defaults', async () => {
    const cwd = folder({ 'erlmcp.config.json': JSON.stringify({ port: 4000, host: '127.0.0.2', ws: true, redisPrefix: 'cfg:', module: 'server.mjs' }) });
    const none = await resolveStartOptions({ flags: {}, env: {}, cwd });
    assert.equal(none.configPath, join(cwd, 'erlmcp.config.json'));
    assert.deepEqual(
      { port: none.options.port, host: none.options.host, ws: none.options.ws, prefix: none.options.redisPrefix, module: none.options.module },
      { port: 4000, host: '127.0.0.2', ws: true, prefix: 'cfg:', module: join(cwd, 'server.mjs') },
      'config values; a relative path is taken from the config file folder',
    );
    assert.equal(none.origins.port, 'config');

    const std = await resolveStartOptions({ flags: {}, env: { PORT: '4001', REDIS_URL: 'redis://127.0.0.1:6390' }, cwd });
    assert.equal(std.options.port, 4001);
    assert.equal(std.origins.port, 'env PORT');
    assert.equal(std.options.redis, 'redis://127.0.0.1:6390');

    const ours = await resolveStartOptions({ flags: {}, env: { PORT: '4001', ERLMCP_PORT: '4002', ERLMCP_WS: 'false' }, cwd });
    assert.equal(ours.options.port, 4002);
    assert.equal(ours.options.ws, false);

    const flag = await resolveStartOptions({ flags: { port: 4003, ws: true }, env: { ERLMCP_PORT: '4002', ERLMCP_WS: 'false' }, cwd });
    assert.equal(flag.options.port, 4003);
    assert.equal(flag.options.ws, true);
    assert.equal(flag.origins.port, 'flag');

    const defaults = await resolveStartOptions({ flags: {}, env: {}, cwd: folder({}) });
    assert.equal(defaults.configPath, undefined);
    assert.deepEqual({ port: defaults.options.port, host: defaults.options.host, prefix: defaults.options.redisPrefix }, { port: 3000, host: '127.0.0.1', prefix: 'erlmcp:' });
  });

  it('loads a .ts config exporting an object or a function, and --config / ERLMCP_CONFIG name one', async () => {
    const cwd = folder({
      'erlmcp.config.ts': `interface C { port: number; legacySse: boolean }\nconst c: C = { port: 0, legacySse: true };\nexport default c;\n`,
      'redis.mjs': `export default { auditLog: 'redis://127.0.0.1:6379' };\n`,
      'other.mjs': `export default async () => ({ tcpPort: 7001, maxSessions: 10, authIssuer: 'https://auth.example.com', logLevel: 'info', metrics: true, auditLog: 'audit.jsonl', rateLimit: '100/2', allowedOrigins: ['https://app.example'] });\n`,
    });
    const ts = await resolveStartOptions({ flags: {}, env: {}, cwd });
    assert.equal(ts.options.legacySse, true);
    const named = await resolveStartOptions({ flags: { config: 'other.mjs' }, env: {}, cwd });
    assert.equal(named.options.tcpPort, 7001);
    assert.equal(named.options.maxSessions, 10);
    assert.equal(named.options.authIssuer, 'https://auth.example.com', 'auth options live in the config file too');
    assert.equal(named.options.logLevel, 'info');
    assert.equal(named.options.metrics, true);
    assert.equal(named.options.auditLog, join(cwd, 'audit.jsonl'), 'file paths are taken from the config file\'s folder');
    assert.equal((await resolveStartOptions({ flags: { config: 'redis.mjs' }, env: {}, cwd })).options.auditLog, 'redis://127.0.0.1:6379', 'a Redis audit target is not a path');
    assert.deepEqual(named.options.rateLimit, { points: 100, duration: 2 }, 'a rate limit written like the flag');
    assert.deepEqual(named.options.allowedOrigins, ['https://app.example']);
    const env = await resolveStartOptions({ flags: {}, env: { ERLMCP_ALLOWED_ORIGINS: 'https://a.example, https://b.example', ERLMCP_MAX_SESSIONS: '5' }, cwd });
    assert.deepEqual(env.options.allowedOrigins, ['https://a.example', 'https://b.example']);
    assert.equal(env.options.maxSessions, 5);
    const fromEnv = await resolveStartOptions({ flags: {}, env: { ERLMCP_CONFIG: 'other.mjs' }, cwd });
    assert.equal(fromEnv.configPath, join(cwd, 'other.mjs'));
    assert.throws(() => findConfigFile('missing.json', cwd), /config file missing\.json not found/);
  });

  it('refuses an invalid config file with one line per problem, suggesting the key meant', async () => {
    const cwd = folder({ 'erlmcp.config.json': JSON.stringify({ prot: 3000, port: 70000, ws: 'yes', redis: 'http://x', cluster: 0 }) });
    const e = await resolveStartOptions({ flags: {}, env: {}, cwd }).then(
      () => assert.fail('accepted'),
      (x: unknown) => x,
    );
    assert.ok(e instanceof CliError && e.exitCode === 2);
    const msg = (e as Error).message;
    assert.match(msg, /erlmcp\.config\.json is invalid:/);
    assert.match(msg, /- prot: unknown option \(did you mean "port"\?\)/);
    assert.match(msg, /- port: expected an integer from 0 to 65535/);
    assert.match(msg, /- ws: .*expected boolean/i);
    assert.match(msg, /- redis: expected a redis:\/\/ or rediss:\/\/ URL/);
    assert.match(msg, /- cluster: expected a number of workers from 1 to 1024/);
  });

  it('points at the line and column of a JSON syntax error, and names a bad environment variable', async () => {
    const cwd = folder({ 'erlmcp.config.json': '{\n  "port": 3000,\n  "ws": true,\n}\n' });
    await assert.rejects(loadConfigFile(join(cwd, 'erlmcp.config.json')), /erlmcp\.config\.json:4:1 is not valid JSON/);
    await assert.rejects(resolveStartOptions({ flags: {}, env: { ERLMCP_PORT: 'eighty' }, cwd: folder({}) }), /environment variable ERLMCP_PORT="eighty": Expected an integer from 0 to 65535/);
    await assert.rejects(resolveStartOptions({ flags: {}, env: { ERLMCP_WS: 'maybe' }, cwd: folder({}) }), /ERLMCP_WS="maybe": Expected true or false/);
  });
});

describe('erlmcp start with a config file', { timeout: 180_000 }, () => {
  it('serves what erlmcp.config.json in the current folder says; the environment and flags override it', async () => {
    const cwd = folder({ 'erlmcp.config.json': JSON.stringify({ port: 0, ws: true, legacySse: true }) });
    const a = await startCli([], { cwd });
    assert.ok(a.urls.ws && a.urls.sse, a.banner);
    assert.equal((await a.stop()).code, 0);
    const b = await startCli([], { cwd, env: { ERLMCP_WS: '0' } });
    assert.ok(!b.urls.ws && b.urls.sse, b.banner);
    assert.equal((await b.stop()).code, 0);
    const c = await startCli(['--no-legacy-sse'], { cwd });
    assert.ok(c.urls.ws && !c.urls.sse, c.banner);
    assert.equal((await c.stop()).code, 0);
  });

  it('exits 2 with the problems of an invalid config file', async () => {
    const cwd = folder({ 'erlmcp.config.json': JSON.stringify({ port: 'eighty' }) });
    const r = await runCli(['start'], { cwd });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /erlmcp: error: config file .*erlmcp\.config\.json is invalid:\n {2}- port: expected an integer from 0 to 65535/);
    assert.equal(r.stdout, '');
  });
});
