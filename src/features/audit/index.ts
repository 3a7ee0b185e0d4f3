export { AuditLog, type AuditLogOptions, type AuditSink } from './log.js';
export { ChainVerifier, verifyLines, chainLine, canonicalJson, GENESIS, type AuditEntry, type AuditRecord, type VerifyResult } from './record.js';
export { verifyAuditFile } from './verify.js';
