/**
 * The runtime seam of one server definition (docs/architecture.md, "The seam"): the request
 * middleware chain, the admission hooks network transports run before any session lookup,
 * the outbound hook every session sends through, and the refusal listeners. McpServer owns one
 * and exposes it as `use` / `admit` / `onOutbound` / `onRefusal`; nothing else composes hooks.
 */
import type { OutboundHook } from '../engine/endpoint.js';
import type { AuthInfo } from '../protocol/transport.js';
import type { Result } from '../protocol/types.js';
import { runAdmission, type Admission, type AdmissionHook, type AdmissionRequest } from './admission.js';
import { compose, type Call, type Middleware, type RunnableCall } from './middleware.js';
import { admissionRefusal, notifyRefusal, type Refusal, type RefusalListener } from './refusal.js';

export class Seam {
  private readonly middlewares: Middleware[] = [];
  private readonly admissionHooks: AdmissionHook[] = [];
  private readonly outboundHooks: OutboundHook[] = [];
  private readonly refusalListeners = new Set<RefusalListener>();
  /** The composed middleware chain; undefined while none is installed (sessions then call handlers directly). */
  chain: ((call: Call) => Promise<Result>) | undefined;
  /** The composed outbound hook; undefined while none is installed (sends skip it). */
  outboundHook: OutboundHook | undefined;

  /** Adds a middleware (outermost first) and recomposes the chain once, here. */
  use(middleware: Middleware): void {
    this.middlewares.push(middleware);
    this.chain = compose(this.middlewares, (call) => (call as RunnableCall).run());
  }

  admit(hook: AdmissionHook): void {
    this.admissionHooks.push(hook);
  }

  get hasAdmission(): boolean {
    return this.admissionHooks.length > 0;
  }

  /** Runs the admission hooks (synchronously when they all are); a refusal reaches the refusal listeners. */
  admission(req: AdmissionRequest): Admission | Promise<Admission> {
    const a = runAdmission(this.admissionHooks, req);
    if (this.refusalListeners.size === 0) return a;
    if (a instanceof Promise) return a.then((r) => this.admitted(req, r));
    return this.admitted(req, a);
  }

  private admitted(req: AdmissionRequest, a: Admission): Admission {
    if (!a.ok) this.refused(admissionRefusal(req, a.refusal, a.identity));
    return a;
  }

  onRefusal(listener: RefusalListener): () => void {
    this.refusalListeners.add(listener);
    return () => this.refusalListeners.delete(listener);
  }

  refused(r: Refusal): void {
    if (this.refusalListeners.size > 0) notifyRefusal(this.refusalListeners, r);
  }

  refusedSession(transport: string, remoteAddress: string | undefined, method: string, auth?: AuthInfo): void {
    this.refused({ stage: 'session', transport, remoteAddress, sessionId: undefined, method, target: undefined, code: 503, reason: 'max_sessions', auth });
  }

  /** Adds an outbound hook; several run in order, each seeing the previous one's replacement. */
  onOutbound(hook: OutboundHook): void {
    this.outboundHooks.push(hook);
    const hooks = [...this.outboundHooks];
    this.outboundHook =
      hooks.length === 1
        ? hooks[0]
        : (message, related) => {
            let m = message;
            for (const h of hooks) m = h(m, related) ?? m;
            return m;
          };
  }
}
