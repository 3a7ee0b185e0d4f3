export { AuditLog, type AuditLogOptions } from './log.js';
export { ForwardingChain, isAuditMessage, type AuditMessage, type AuditWriter } from './chain.js';
export { FileChain } from './file-chain.js';
export { RedisChain, auditKeys, legacyAuditKeys, redisChainLines, verifyRedisChain, type RedisChainOptions } from './redis-chain.js';
export { ChainVerifier, verifyLines, chainLine, canonicalJson, GENESIS, type AuditEntry, type AuditRecord, type VerifyResult } from './record.js';
export { verifyAuditFile } from './verify.js';
