export * from './types.js';
export * from './methods.js';
export * from './versions.js';
export * from './errors.js';
export * from './jsonrpc.js';
export * from './encode.js';
export type * from './transport.js';
export * from './uri-template.js';
