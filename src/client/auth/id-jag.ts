/**
 * Enterprise-managed authorization (MCP extension io.modelcontextprotocol/enterprise-managed-authorization,
 * SEP-990; draft-ietf-oauth-identity-assertion-authz-grant): the user's ID token from the
 * enterprise identity provider is exchanged there (RFC 8693 token exchange) for an Identity
 * Assertion JWT Authorization Grant (ID-JAG) naming the MCP server's authorization server and
 * resource; OAuthClient's `jwt_bearer` grant then presents it as the assertion.
 */
import * as oauth from 'oauth4webapi';
import { ErlmcpError } from '../../protocol/errors.js';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ID_TOKEN = 'urn:ietf:params:oauth:token-type:id_token';
const ID_JAG = 'urn:ietf:params:oauth:token-type:id-jag';

export interface IdJagRequest {
  /** The identity provider's issuer and token endpoint. */
  idpIssuer: string;
  idpTokenEndpoint: string;
  /** The client as registered at the identity provider. */
  clientId: string;
  clientSecret?: string;
  /** The user's ID token from the identity provider (the subject token). */
  idToken: string;
  /** The MCP server's authorization server (its issuer) and the MCP server (its resource identifier). */
  audience: string;
  resource: string;
  scope?: string;
  fetch?: typeof globalThis.fetch;
}

/**
 * Asks the identity provider for an ID-JAG (RFC 8693 §2.1 with `requested_token_type` id-jag).
 *
 * @example
 * const auth = new OAuthClient({
 *   grant: 'jwt_bearer', clientId, clientSecret,
 *   assertion: ({ issuer, resource, scope }) =>
 *     requestIdJag({ idpIssuer, idpTokenEndpoint, clientId: idpClientId, idToken, audience: issuer, resource, scope }),
 * });
 */
export async function requestIdJag(r: IdJagRequest): Promise<string> {
  const as: oauth.AuthorizationServer = { issuer: r.idpIssuer, token_endpoint: r.idpTokenEndpoint };
  const client: oauth.Client = { client_id: r.clientId };
  const auth = r.clientSecret !== undefined ? oauth.ClientSecretPost(r.clientSecret) : oauth.None();
  const params: Record<string, string> = { subject_token: r.idToken, subject_token_type: ID_TOKEN, requested_token_type: ID_JAG, audience: r.audience, resource: r.resource };
  if (r.scope) params.scope = r.scope;
  const url = new URL(r.idpTokenEndpoint);
  const opts: Record<symbol, unknown> = { [oauth.customFetch]: r.fetch ?? globalThis.fetch };
  // http:// only for a loopback identity provider (development).
  if (url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) opts[oauth.allowInsecureRequests] = true;
  const res = await oauth.genericTokenEndpointRequest(as, client, auth, TOKEN_EXCHANGE, params, opts as oauth.TokenEndpointRequestOptions);
  // An ID-JAG is not an access token: its token_type is "N_A" (RFC 8693 §2.2.1).
  const body = await oauth.processGenericTokenEndpointResponse(as, client, res, { recognizedTokenTypes: { n_a: () => {} } });
  if (body.issued_token_type !== ID_JAG) throw new ErlmcpError('ERR_INVALID_RESULT', `the identity provider issued ${String(body.issued_token_type)}, not an ID-JAG`);
  return body.access_token;
}
