/**
 * Fuzzing the token and header parsing (fast-check): 100,000 arbitrary Authorization values,
 * token-shaped strings and claim sets through parseBearer, looksLikeJwt, scopesOf and the
 * challenge writer, plus the whole admission hook on random headers. Properties: nothing throws,
 * every verdict is one of the documented ones, a challenge is always a single well-formed
 * header value, and an accepted token always satisfies the RFC 6750 b64token syntax.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { bearerChallenge, looksLikeJwt, parseBearer, scopesOf } from './bearer.js';
import { ResourceServer } from './resource-server.js';
import { ApiKeyStore, hashApiKey } from './api-keys.js';

const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
const tokenChars = fc.constantFrom(...'ABCxyz019-._~+/= ,"\\\t\u00ff\u0000'.split(''));
const headerValue = fc.oneof(
  fc.string({ maxLength: 64 }),
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.tuple(fc.constantFrom('Bearer', 'bearer', 'BEARER', 'Basic', 'Bearer ', 'Bearer  ', ''), fc.string({ unit: tokenChars, maxLength: 80 })).map(([s, t]) => `${s} ${t}`),
  fc.tuple(fc.base64String({ maxLength: 40 }), fc.base64String({ maxLength: 40 }), fc.base64String({ maxLength: 40 })).map(([a, b, c]) => `Bearer ${a}.${b}.${c}`),
);

describe('token and header parsing (fuzz)', () => {
  it('parseBearer, looksLikeJwt and bearerChallenge hold their properties on 100,000 inputs', () => {
    fc.assert(
      fc.property(headerValue, fc.integer({ min: 1, max: 100 }), fc.string({ maxLength: 40 }), (value, max, desc) => {
        const p = parseBearer(value, max);
        if (p.ok) {
          assert.match(p.token, B64TOKEN);
          assert.ok(p.token.length <= max);
          assert.equal(looksLikeJwt(p.token), p.token.split('.').length === 3 && p.token.split('.').every((s) => s.length > 0));
        } else {
          assert.ok(['missing', 'malformed', 'too_large'].includes(p.reason));
        }
        const c = bearerChallenge({ error: 'invalid_token', errorDescription: desc + value, scope: [value], resourceMetadata: value });
        // One header value: printable ASCII only, quotes balanced by escaping.
        assert.match(c, /^Bearer( [a-z_]+="(?:[^"\\]|\\.)*",?)+$/);
      }),
      { numRuns: 100_000 },
    );
  });

  it('scopesOf never throws and returns only non-empty strings', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('scope', 'scp', 'sub'), fc.jsonValue({ maxDepth: 2 })), (claims) => {
        for (const s of scopesOf(claims)) assert.ok(typeof s === 'string' && s !== '' && !s.includes(' '));
      }),
      { numRuns: 5_000 },
    );
  });

  it('the admission hook answers any header set with a documented verdict and never throws', async () => {
    const key = 'emk_fuzz';
    const rs = new ResourceServer({
      resource: 'http://127.0.0.1:1/mcp',
      apiKeys: new ApiKeyStore([{ name: 'k', sha256: hashApiKey(key) }]),
      // JWT-shaped tokens go to the verifier: with no JWKS reachable the answer is 401 (bad
      // token, decided before any fetch) or 503 — never a throw.
      jwt: { issuer: 'http://127.0.0.1:1', jwksUri: 'http://127.0.0.1:1/jwks', jwksTimeoutMs: 100 },
    });
    await fc.assert(
      fc.asyncProperty(fc.option(headerValue, { nil: undefined }), fc.option(fc.oneof(fc.constant(key), fc.string({ maxLength: 20 })), { nil: undefined }), async (authorization, apiKey) => {
        const headers: Record<string, string> = {};
        if (authorization !== undefined) headers.authorization = authorization;
        if (apiKey !== undefined) headers['x-api-key'] = apiKey;
        const v = await rs.hook({ transport: 'http', method: 'POST', path: '/mcp', headers, remoteAddress: '127.0.0.1', sessionId: undefined });
        assert.ok(v && typeof v === 'object');
        if ('identity' in v) assert.equal(v.identity.subject, 'k');
        else assert.ok([400, 401, 503].includes(v.refuse.status), String(v.refuse.status));
      }),
      { numRuns: 2_000 },
    );
  });
});
