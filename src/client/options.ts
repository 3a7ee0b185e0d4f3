/**
 * The options of a Client and the handler types of server→client requests.
 */
import type { RequestContext } from '../engine/context.js';
import type { EndpointOptions } from '../engine/endpoint.js';
import type * as T from '../protocol/types.js';
import type { VersionNegotiation } from './era.js';

export type SamplingHandler = (params: T.CreateMessageRequestParams, ctx: RequestContext) => T.CreateMessageResult | Promise<T.CreateMessageResult>;
export type ElicitationHandler = (params: T.ElicitRequestParams, ctx: RequestContext) => T.ElicitResult | Promise<T.ElicitResult>;

export interface ClientOptions extends EndpointOptions {
  /** Sent as-is at initialize; otherwise derived from the handlers given here. */
  capabilities?: T.ClientCapabilities;
  protocolVersion?: string;
  sampling?: SamplingHandler;
  /** Advertise tool use in sampling (sampling.tools). */
  samplingTools?: boolean;
  elicitation?: ElicitationHandler;
  /** Which elicitation modes to advertise. Default ['form']. */
  elicitationModes?: ('form' | 'url')[];
  roots?: T.Root[];
  /** Reject structuredContent that does not match the tool's outputSchema. Default true. */
  validateOutput?: boolean;
  /**
   * Protocol era (2026-07-28 basic/versioning). 'legacy' (default) runs `initialize` as before;
   * 'auto' probes with `server/discover` and falls back to `initialize`; `{ pin }` is modern only.
   * @example new Client(info, { versionNegotiation: 'auto', elicitation: (p) => ({ action: 'accept', content: {} }) })
   */
  versionNegotiation?: VersionNegotiation;
  /** Modern era: sent as `_meta` logLevel on every request (without it, no log messages). */
  logLevel?: T.LoggingLevel;
  /** Modern era: input-required rounds per call before giving up. Default 10. */
  maxInputRounds?: number;
  /** 'auto': how long the server/discover probe waits (ms); a stream that stays silent is legacy. Default: the request timeout. */
  probeTimeoutMs?: number;
}
