/**
 * Why a credential was not accepted. 'invalid': the credential is bad (→ 401 invalid_token, the
 * client must get a new one). 'unavailable': the verifier could not decide (JWKS or
 * introspection endpoint down or slow → 503 with Retry-After: the token may be fine, and telling
 * the client to re-authenticate would only add load to an authorization server in trouble).
 */
export class TokenError extends Error {
  override readonly name = 'TokenError';
  constructor(
    readonly kind: 'invalid' | 'unavailable',
    message: string,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
  }
}
