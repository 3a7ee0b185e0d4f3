/**
 * The verified-token cache of JwtVerifier, against a real JWKS endpoint on 127.0.0.1: a
 * remembered token stops being accepted at its `exp` and at `cacheTtlMs` (withdrawing its
 * signing key takes effect then, not before), a token differing from a remembered one is
 * verified in full (and refused when tampered), and the cache holds `cacheMax` tokens, evicting
 * the least recently used one past that. The clock is node:test's mocked Date (timers stay
 * real, so the JWKS fetches run normally): no test waits for time to pass.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, afterEach, before, describe, it, mock } from 'node:test';
import { newKey, startTokenIssuer, type TokenIssuer } from '../../../test/helpers/token-issuer.js';
import { JwtVerifier, type JwtVerifierOptions } from './jwt.js';
import { tokenDigest, VerifiedTokens } from './token-cache.js';
import { TokenError } from './token-error.js';

const AUD = 'https://mcp.example.com/mcp';

describe('verified-token cache', () => {
  let idp: TokenIssuer;
  before(async () => {
    idp = await startTokenIssuer();
  });
  after(() => idp.close());
  afterEach(async () => {
    mock.timers.reset();
    idp.keys = [idp.keys.find((k) => k.kid === 'k1') ?? (await newKey('k1'))];
  });

  const verifier = (o: Partial<JwtVerifierOptions> = {}) => new JwtVerifier({ issuer: idp.issuer, audience: AUD, jwksUri: idp.jwksUri, jwksCooldownMs: 0, ...o });
  const refused = (p: Promise<unknown>, why: RegExp) => assert.rejects(p, (e: unknown) => e instanceof TokenError && e.kind === 'invalid' && why.test(e.message));
  /** Sets the mocked clock to whole second `t` (ms since the epoch). */
  const clockAt = (t: number) => mock.timers.enable({ apis: ['Date'], now: t });

  it('refuses a remembered token from its exp on, though the cache answered for it a moment before', async () => {
    const t0 = Math.floor(Date.now() / 1000) * 1000;
    clockAt(t0);
    const v = verifier({ clockToleranceSec: 0, cacheTtlMs: 600_000 });
    const token = await idp.sign({ sub: 'alice', aud: AUD, exp: t0 / 1000 + 60 });
    const first = await v.verify(token);
    mock.timers.setTime(t0 + 59_999);
    assert.equal(await v.verify(token), first, 'remembered until exp');
    mock.timers.setTime(t0 + 60_000);
    assert.equal(v.peek(token), undefined);
    await refused(v.verify(token), /expired/);
  });

  it('keeps accepting an expired token for the clock skew only, as a fresh verification would', async () => {
    const t0 = Math.floor(Date.now() / 1000) * 1000;
    clockAt(t0);
    const v = verifier({ clockToleranceSec: 30 });
    const token = await idp.sign({ sub: 'alice', aud: AUD, exp: t0 / 1000 + 10 });
    await v.verify(token);
    mock.timers.setTime(t0 + 39_999);
    assert.equal((await v.verify(token)).subject, 'alice');
    mock.timers.setTime(t0 + 40_000);
    await refused(v.verify(token), /expired/);
  });

  it('verifies a remembered token again at cacheTtlMs: a signing key withdrawn from the JWKS is refused from then on', async () => {
    const t0 = Math.floor(Date.now() / 1000) * 1000;
    clockAt(t0);
    const v = verifier({ cacheTtlMs: 60_000, jwksCacheMaxAgeMs: 30_000 });
    const token = await idp.sign({ sub: 'alice', aud: AUD, exp: t0 / 1000 + 3600 });
    await v.verify(token);
    idp.keys = [await newKey('k2')];
    const fetches = idp.fetches;
    mock.timers.setTime(t0 + 59_999);
    assert.equal((await v.verify(token)).subject, 'alice', 'one ms before the limit: still the remembered verdict');
    assert.equal(idp.fetches, fetches, 'a remembered token costs no JWKS fetch');
    mock.timers.setTime(t0 + 60_000);
    await refused(v.verify(token), /unknown key/);
    assert.ok(idp.fetches > fetches, 'at the limit the token is verified against the current JWKS');
  });

  it('refuses a tampered token sharing a remembered token’s prefix, every time, and still accepts the original', async () => {
    const v = verifier();
    const token = await idp.sign({ sub: 'alice', aud: AUD });
    const alice = await v.verify(token);
    const [h, p, s] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: 'admin' })).toString('base64url')}.${s}`;
    // Flip the last signature character (base64url: 'A' and 'Q' differ in the bits that count).
    const badSig = `${h}.${p}.${s.slice(0, -1)}${s.endsWith('A') ? 'Q' : 'A'}`;
    for (let i = 0; i < 2; i++) {
      await refused(v.verify(forged), /signature invalid/);
      await refused(v.verify(badSig), /signature invalid/);
      await refused(v.verify(`${token}A`), /signature invalid|malformed/);
    }
    assert.equal(v.peek(forged), undefined);
    assert.equal(await v.verify(token), alice);
  });

  it('holds cacheMax tokens; one more evicts the least recently used, which is then verified again', async () => {
    const v = verifier({ cacheMax: 2, jwksCacheMaxAgeMs: 0 });
    const a = await idp.sign({ sub: 'a', aud: AUD });
    const b = await idp.sign({ sub: 'b', aud: AUD });
    await v.verify(a);
    await v.verify(b);
    // Withdraw their key: from now on only a remembered verdict accepts a or b.
    const k2 = await newKey('k2');
    idp.keys = [k2];
    const fetches = idp.fetches;
    assert.equal((await v.verify(b)).subject, 'b');
    assert.equal((await v.verify(a)).subject, 'a', 'at the limit both are remembered');
    assert.equal(idp.fetches, fetches);
    // A third token (signed by the current key) is one past the limit: b, least recently used, goes.
    assert.equal((await v.verify(await idp.sign({ sub: 'c', aud: AUD }, { key: k2 }))).subject, 'c');
    assert.equal((await v.verify(a)).subject, 'a');
    await refused(v.verify(b), /unknown key/);
  });

  it('with cacheTtlMs 0 remembers nothing', async () => {
    const v = verifier({ cacheTtlMs: 0, jwksCacheMaxAgeMs: 0 });
    const token = await idp.sign({ sub: 'alice', aud: AUD });
    await v.verify(token);
    assert.equal(v.peek(token), undefined);
    idp.keys = [await newKey('k2')];
    await refused(v.verify(token), /unknown key/);
  });
});

describe('VerifiedTokens', () => {
  afterEach(() => mock.timers.reset());
  const info = Object.freeze({ subject: 'alice', method: 'jwt' });

  it('keys entries by the SHA-256 of the token, never the token itself', () => {
    const token = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln';
    const d = tokenDigest(token);
    assert.equal(Buffer.from(d, 'binary').toString('hex'), createHash('sha256').update(token).digest('hex'));
    assert.equal(d.length, 32);
    assert.ok(!d.includes(token.slice(0, 8)));
  });

  it('re-checks nbf with the skew on a hit, and drops an entry when the clock goes back', () => {
    const t0 = 1_800_000_000_000;
    mock.timers.enable({ apis: ['Date'], now: t0 });
    const c = new VerifiedTokens(60_000, 10, 30);
    // Accepted at verification: nbf 20 s ahead, within the 30 s skew.
    c.set('k', info, t0 / 1000 + 3600, t0 / 1000 + 20);
    assert.equal(c.get('k'), info);
    mock.timers.setTime(t0 - 10_001); // nbf is now more than 30 s ahead
    assert.equal(c.get('k'), undefined);
    assert.equal(c.size, 0);
    c.set('j', info, t0 / 1000 + 3600, undefined);
    mock.timers.setTime(t0 - 60_000);
    assert.equal(c.get('j'), undefined, 'verified "in the future": its age cannot be known');
  });

  it('does not remember a token without exp or already past it', () => {
    const c = new VerifiedTokens(60_000, 10, 30);
    c.set('a', info, undefined, undefined);
    c.set('b', info, Math.floor(Date.now() / 1000) - 1, undefined);
    assert.equal(c.size, 0);
  });
});
