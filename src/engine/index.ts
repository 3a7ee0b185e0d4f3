export { Endpoint, type EndpointOptions } from './endpoint.js';
export type { RequestContext } from './context.js';
export type { RequestOptions, Progress } from './outbound.js';
