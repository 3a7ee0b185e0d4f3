/**
 * The Call a session hands to the middleware chain: a thin view over what already exists (the
 * engine's request context, the session), read lazily, plus the handler the chain ends in.
 */
import type { RequestContext } from '../engine/context.js';
import type { AuthInfo, MessageExtra } from '../protocol/transport.js';
import type { Meta, RequestId, Result } from '../protocol/types.js';
import { HandlerContext } from './context.js';
import type { RequestHandler } from './handlers.js';
import { targetOf, type CallSession, type RunnableCall } from './middleware.js';
import type { ServerSession } from './session.js';

export class SessionCall implements RunnableCall {
  constructor(
    private readonly owner: ServerSession,
    readonly method: string,
    readonly params: Record<string, unknown>,
    private readonly ctx: RequestContext,
    private readonly handler: RequestHandler,
  ) {}
  /** A modern (2026-07-28) request has no session: it carries who it is in its envelope. */
  get session(): CallSession | undefined {
    return this.owner.era === 'modern' ? undefined : this.owner;
  }
  get id(): RequestId {
    return this.ctx.id;
  }
  get target(): string | undefined {
    return targetOf(this.method, this.params);
  }
  get signal(): AbortSignal {
    return this.ctx.signal;
  }
  get meta(): Meta | undefined {
    return this.ctx.meta;
  }
  get transport(): string | undefined {
    return this.owner.transportKind;
  }
  get remoteAddress(): string | undefined {
    return this.ctx.extra?.requestInfo?.remoteAddress;
  }
  get auth(): AuthInfo | undefined {
    return this.ctx.extra?.authInfo;
  }
  get extra(): MessageExtra | undefined {
    return this.ctx.extra;
  }
  get context(): HandlerContext {
    return new HandlerContext(this.owner, this.ctx);
  }
  run(): Result | Promise<Result> {
    return this.handler(this.owner, this.params, this.ctx);
  }
}
