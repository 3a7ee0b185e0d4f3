export { ResourceServer, PRM_PATH, metadataRoutes, type ResourceServerOptions } from './resource-server.js';
export { JwtVerifier, DEFAULT_JWT_ALGORITHMS, identityOf, type JwtVerifierOptions } from './jwt.js';
export { Introspector, type IntrospectionOptions } from './introspection.js';
export { ApiKeyStore, hashApiKey, generateApiKey, parseApiKeyFile, type ApiKeyEntry } from './api-keys.js';
export { parseBearer, bearerChallenge, scopesOf, looksLikeJwt, DEFAULT_MAX_TOKEN_BYTES, type BearerParse, type ChallengeParams, type BearerError } from './bearer.js';
export { TokenError } from './token-error.js';
export { Policy, parsePolicy, type PolicyConfig, type PolicyRule } from './policy.js';
export { bindSessionsToSubject } from './session-binding.js';
