/**
 * Multi-round-trip requests (basic/patterns/mrtr). On a modern request a handler cannot send
 * requests to the client; when it asks for input (`ctx.elicit()`, `ctx.sample()`,
 * `ctx.listRoots()`) the answer comes from this round's `inputResponses` (or the signed state of
 * earlier rounds) if the client already gave it, and otherwise the ask is recorded and the
 * request ends with an InputRequiredResult listing every recorded ask. The client answers and
 * re-sends; the handler runs again and this time its asks are answered. Handlers are written
 * once: on a legacy session the same calls send real requests.
 */
import { ErrorCode, McpError } from '../../protocol/errors.js';
import { missingCapability } from '../../protocol/eras.js';
import type { ClientCapabilities } from '../../protocol/types.js';

/** Thrown (asynchronously) by an unanswered ask; the dispatcher turns it into an InputRequiredResult. */
export class InputRequiredSignal extends Error {
  override readonly name = 'InputRequiredSignal';
  constructor() {
    super('input required from the client (MRTR)');
  }
}

/** Methods whose results may be InputRequiredResult (basic/patterns/mrtr). */
export const MRTR_METHODS: ReadonlySet<string> = new Set(['tools/call', 'prompts/get', 'resources/read']);

export type InputMethod = 'elicitation/create' | 'sampling/createMessage' | 'roots/list';

/** Default input keys are `<short>-<n>` in call order (`elicit-0`, `sample-0`, `roots-0`). */
export const SHORT: Record<InputMethod, string> = { 'elicitation/create': 'elicit', 'sampling/createMessage': 'sample', 'roots/list': 'roots' };

/**
 * Where a handler's asks for client input go on the modern era: this request's input rounds
 * (InputRounds, MRTR) or, inside a task, the task's pending inputs (task-input.ts).
 */
export interface InputAsker {
  ask<R>(method: InputMethod, params: Record<string, unknown>, key?: string): Promise<R>;
}

/** Whether a client's answer has the shape its kind of ask needs (anything else counts as no answer). */
export function answerFits(method: InputMethod, v: unknown): boolean {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  if (method === 'elicitation/create') return typeof o.action === 'string';
  if (method === 'sampling/createMessage') return typeof o.role === 'string' && typeof o.content === 'object' && o.content !== null;
  return Array.isArray(o.roots);
}

/** The client capability an ask needs (client/elicitation, client/sampling, client/roots). */
export function requiredCapability(method: InputMethod, params: Record<string, unknown>, caps: ClientCapabilities): Record<string, unknown> | undefined {
  if (method === 'roots/list') return caps.roots ? undefined : { roots: {} };
  if (method === 'sampling/createMessage') {
    if (!caps.sampling) return { sampling: params.tools || params.toolChoice ? { tools: {} } : {} };
    if ((params.tools || params.toolChoice) && !caps.sampling.tools) return { sampling: { tools: {} } };
    return undefined;
  }
  const e = caps.elicitation;
  if (params.mode === 'url') return e?.url ? undefined : { elicitation: { url: {} } };
  // An empty elicitation capability means form mode.
  return e && (e.form !== undefined || e.url === undefined) ? undefined : { elicitation: { form: {} } };
}

/** One modern request's view of its input rounds. */
export class InputRounds implements InputAsker {
  /** Answers known this round: from the signed state plus this round's inputResponses. */
  readonly answers: Record<string, unknown>;
  /** Asks not yet answered, recorded this round. */
  readonly asks: Record<string, { method: InputMethod; params: Record<string, unknown> }> = {};
  private counters: Partial<Record<InputMethod, number>> = {};

  constructor(
    prior: Record<string, unknown>,
    inputResponses: unknown,
    private readonly caps: ClientCapabilities,
  ) {
    const fresh = inputResponses && typeof inputResponses === 'object' && !Array.isArray(inputResponses) ? (inputResponses as Record<string, unknown>) : {};
    this.answers = { ...prior, ...fresh };
  }

  /** The answer for this ask, or a rejection that ends the round (after every concurrent ask is recorded). */
  ask<R>(method: InputMethod, params: Record<string, unknown>, key?: string): Promise<R> {
    const n = this.counters[method] ?? 0;
    this.counters[method] = n + 1;
    const k = key ?? `${SHORT[method]}-${n}`;
    const answer = this.answers[k];
    if (answer !== undefined && answerFits(method, answer)) return Promise.resolve(answer as R);
    const need = requiredCapability(method, params, this.caps);
    if (need) return Promise.reject(missingCapability(need, method));
    this.asks[k] = { method, params };
    return Promise.reject(new InputRequiredSignal());
  }

  get pending(): boolean {
    return Object.keys(this.asks).length > 0;
  }

  /** Only answers the handler actually consumed are worth carrying; unknown extra keys are ignored. */
  carried(): Record<string, unknown> {
    return this.answers;
  }
}

/** MRTR on a method that does not allow it is a server bug: say so. */
export function mrtrNotAllowed(method: string): McpError {
  return new McpError(ErrorCode.InternalError, `${method} cannot ask the client for input (multi-round-trip requests are for tools/call, prompts/get and resources/read)`);
}
