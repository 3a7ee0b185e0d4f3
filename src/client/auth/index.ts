export { OAuthClient, MemoryTokenStore, type OAuthClientOptions, type TokenStore, type StoredTokens, type StoredClient } from './oauth-client.js';
export { parseBearerChallenge, discoverResource, discoverAuthorizationServer, resourceMatches, type BearerChallenge } from './discovery.js';
export { requestIdJag, type IdJagRequest } from './id-jag.js';
