/**
 * A minimal token issuer for tests: an EC (ES256) key pair, a JWKS endpoint on 127.0.0.1 that
 * can be made to fail (down → 500, slow → never answers, counted fetches), and `sign()` for
 * tokens with any claims, key or algorithm. Real signatures (jose), so the verifier under test
 * runs exactly as it would against an IdP.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

export interface TestKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function newKey(kid: string, alg = 'ES256'): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

export interface TokenIssuer {
  issuer: string;
  jwksUri: string;
  keys: TestKey[];
  /** 'ok' serves the JWKS; 'down' answers 500; 'slow' never answers. */
  mode: 'ok' | 'down' | 'slow';
  /** JWKS requests served so far. */
  fetches: number;
  sign(claims: JWTPayload, opts?: { key?: TestKey; header?: Record<string, unknown> }): Promise<string>;
  close(): Promise<void>;
}

export async function startTokenIssuer(): Promise<TokenIssuer> {
  const first = await newKey('k1');
  const held: ServerResponse[] = [];
  const state: TokenIssuer = {
    issuer: '',
    jwksUri: '',
    keys: [first],
    mode: 'ok',
    fetches: 0,
    async sign(claims, opts = {}) {
      const key = opts.key ?? state.keys[0]!;
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ iat: now, exp: now + 300, iss: state.issuer, ...claims })
        .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'at+jwt', ...opts.header })
        .sign(key.privateKey);
    },
    async close() {
      for (const r of held) r.destroy();
      await new Promise<void>((r) => {
        srv.close(() => r());
        srv.closeAllConnections();
      });
    },
  };
  const srv: Server = createServer((req, res) => {
    if (req.url !== '/jwks') return void res.writeHead(404).end();
    state.fetches++;
    if (state.mode === 'slow') return void held.push(res);
    if (state.mode === 'down') return void res.writeHead(500).end('down');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: state.keys.map((k) => k.publicJwk) }));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  state.issuer = `http://127.0.0.1:${port}`;
  state.jwksUri = `${state.issuer}/jwks`;
  return state;
}
