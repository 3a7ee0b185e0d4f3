/**
 * The cost of bearer-JWT authentication (issue 13): our server requiring a valid ES256 JWT on
 * every request (JWKS served by this process, warm after the first request) against the same
 * server without auth, in one run. Columns: ours = auth on, raw = OUR server with no auth (not
 * a raw reference here); ours/raw is the overhead; sdk = the official SDK server without auth.
 * HTTP: autocannon, JSON mode, c=64, one session.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { autocannonMissing } from '../lib/cannon.js';
import type { Row } from '../lib/report.js';
import { interleave, toRows, type Sample } from '../lib/runs.js';
import { httpRate64 } from '../lib/rate64.js';
import type { Scenario } from './scenario.js';

function rate(fixture: 'ours-http' | 'sdk-http', args: string[], token: string | undefined, seconds: number, amount: number | undefined): Promise<Sample> {
  return httpRate64(fixture, args, seconds, amount, token === undefined ? {} : { authorization: `Bearer ${token}` });
}

export const authScenario: Scenario = {
  name: 'auth',
  title: 'bearer JWT on every request (warm JWKS) vs no auth, HTTP c=64',
  async run(cfg) {
    const missing = autocannonMissing();
    if (missing !== undefined) return { rows: [{ scenario: 'auth', metric: 'autocannon', unit: 'req/s', better: 'higher', ours: missing, sdk: missing, raw: missing }], notes: [] };
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'ES256', use: 'sig' };
    const jwks = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
    const issuer = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}`;
    try {
      const token = await new SignJWT({ sub: 'bench', scope: 'mcp:tools' })
        .setProtectedHeader({ alg: 'ES256', kid: 'bench' })
        .setIssuer(issuer)
        .setAudience('bench')
        .setIssuedAt()
        .setExpirationTime('2h')
        .sign(privateKey);
      const outcome = await interleave(cfg.runs, {
        ours: () => rate('ours-http', ['--auth-jwks', `${issuer}/jwks`, '--auth-issuer', issuer], token, cfg.cannonSeconds, cfg.cannonAmount),
        raw: () => rate('ours-http', [], undefined, cfg.cannonSeconds, cfg.cannonAmount),
        sdk: () => rate('sdk-http', [], undefined, cfg.cannonSeconds, cfg.cannonAmount),
      });
      const rows: Row[] = toRows('auth', [{ key: 'http64', metric: 'http json c=64, bearer JWT on (raw = ours, no auth; sdk = SDK, no auth)', unit: 'req/s', better: 'higher' }], outcome);
      return { rows, notes: ['auth: the raw column is our own server without auth, not a raw reference; ours/raw is the cost of verifying a bearer JWT on every request. The SDK column runs without auth.'] };
    } finally {
      await new Promise<void>((r) => jwks.close(() => r()));
    }
  },
};
