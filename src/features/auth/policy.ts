/**
 * Role-based access control over tools, resources and prompts, as request middleware. A policy
 * is a list of rules; a rule names who it applies to (any of some scopes, or any of some roles
 * from a claim; neither = everyone, anonymous callers included) and what it grants (name or URI
 * patterns, `*` matching any run of characters). What no applicable rule grants is denied.
 *
 * - `tools/list`, `prompts/list`, `resources/list`, `resources/templates/list` show only what the
 *   caller may use. List results are shared, pre-serialised objects (server/registry/list.ts):
 *   a filtered page is a new object per caller; the shared one is never touched, and is answered
 *   as is when nothing needs hiding.
 * - `tools/call`, `prompts/get`, `resources/read|subscribe|unsubscribe` and `completion/complete`
 *   on anything else are refused with -32000 before the handler runs. When some scope would
 *   grant it, `data` says `insufficient_scope` and names the scope (the client can step up);
 *   otherwise `forbidden`. Unknown and forbidden names get the same answer, so the refusal does
 *   not reveal what exists.
 */
import { ErrorCode, McpError } from '../../protocol/errors.js';
import type { AuthInfo } from '../../protocol/transport.js';
import type { Result } from '../../protocol/types.js';
import type { Call, McpServer, Middleware } from '../../server/index.js';

export interface PolicyRule {
  /** Applies to callers holding any of these scopes. */
  readonly scopes?: readonly string[];
  /** Applies to callers holding any of these roles (see `rolesClaim`). */
  readonly roles?: readonly string[];
  /** Tool name patterns granted. */
  readonly tools?: readonly string[];
  /** Resource URI patterns granted (also matched against resource template URIs for listing). */
  readonly resources?: readonly string[];
  /** Prompt name patterns granted. */
  readonly prompts?: readonly string[];
}

export interface PolicyConfig {
  readonly rules: readonly PolicyRule[];
  /** Claim holding the caller's roles (an array or a space-separated string). Default 'roles'. */
  readonly rolesClaim?: string;
}

type Kind = 'tools' | 'resources' | 'prompts';

interface CompiledRule {
  readonly scopes: readonly string[];
  readonly roles: readonly string[];
  readonly grants: Readonly<Record<Kind, RegExp | undefined>>;
}

function compilePatterns(patterns: readonly string[] | undefined): RegExp | undefined {
  if (!patterns?.length) return undefined;
  const alternatives = patterns.map((p) => p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*'));
  return new RegExp(`^(?:${alternatives.join('|')})$`, 's');
}

/** Validates a policy document (the CLI's `--policy` file); throws a TypeError naming the problem. */
export function parsePolicy(doc: unknown): PolicyConfig {
  const rules = (doc as { rules?: unknown } | null)?.rules;
  if (!Array.isArray(rules)) throw new TypeError('policy: expected { "rules": [...] }');
  const strings = (v: unknown, where: string) => {
    if (v !== undefined && (!Array.isArray(v) || !v.every((s) => typeof s === 'string'))) throw new TypeError(`policy: ${where} must be an array of strings`);
  };
  rules.forEach((r: unknown, i) => {
    if (typeof r !== 'object' || r === null) throw new TypeError(`policy: rules[${i}] must be an object`);
    for (const k of ['scopes', 'roles', 'tools', 'resources', 'prompts']) strings((r as Record<string, unknown>)[k], `rules[${i}].${k}`);
  });
  const rolesClaim = (doc as { rolesClaim?: unknown }).rolesClaim;
  if (rolesClaim !== undefined && typeof rolesClaim !== 'string') throw new TypeError('policy: rolesClaim must be a string');
  return doc as PolicyConfig;
}

/** What one caller may use: the union of the rules that apply to them. */
class Grant {
  constructor(
    private readonly rules: readonly CompiledRule[],
    private readonly all: readonly CompiledRule[],
  ) {}

  allows(kind: Kind, target: string): boolean {
    for (const r of this.rules) if (r.grants[kind]?.test(target)) return true;
    return false;
  }

  /** Scopes of rules (not applying to this caller) that would grant the target. */
  scopesGranting(kind: Kind, target: string): string[] {
    const out = new Set<string>();
    for (const r of this.all) if (r.scopes.length > 0 && r.grants[kind]?.test(target)) for (const s of r.scopes) out.add(s);
    return [...out];
  }
}

/**
 * A compiled policy.
 *
 * @example
 * new Policy({ rules: [
 *   { tools: ['search', 'fetch_*'], resources: ['docs://*'] },             // everyone
 *   { scopes: ['mcp:admin'], tools: ['*'], resources: ['*'], prompts: ['*'] },
 *   { roles: ['support'], prompts: ['triage'] },
 * ] }).install(server);
 */
export class Policy {
  private readonly rules: readonly CompiledRule[];
  private readonly rolesClaim: string;
  private readonly grants = new WeakMap<AuthInfo, Grant>();
  private readonly anonymous: Grant;

  constructor(config: PolicyConfig) {
    this.rolesClaim = config.rolesClaim ?? 'roles';
    this.rules = config.rules.map((r) => ({
      scopes: r.scopes ?? [],
      roles: r.roles ?? [],
      grants: { tools: compilePatterns(r.tools), resources: compilePatterns(r.resources), prompts: compilePatterns(r.prompts) },
    }));
    this.anonymous = new Grant(
      this.rules.filter((r) => r.scopes.length === 0 && r.roles.length === 0),
      this.rules,
    );
  }

  /** Installs the policy as middleware on `server`. */
  install(server: McpServer): this {
    server.use(this.middleware);
    return this;
  }

  /** Whether `auth` may use the tool, resource or prompt `target`. */
  allows(auth: AuthInfo | undefined, kind: Kind, target: string): boolean {
    return this.grantOf(auth).allows(kind, target);
  }

  // Identities are frozen and reused (the verifiers cache them), so a grant is computed once per token.
  private grantOf(auth: AuthInfo | undefined): Grant {
    if (auth === undefined) return this.anonymous;
    let g = this.grants.get(auth);
    if (g === undefined) {
      const scopes = new Set(auth.scopes ?? []);
      const roles = new Set(rolesOf(auth.claims?.[this.rolesClaim]));
      const applies = (r: CompiledRule) => (r.scopes.length === 0 && r.roles.length === 0) || r.scopes.some((s) => scopes.has(s)) || r.roles.some((s) => roles.has(s));
      g = new Grant(this.rules.filter(applies), this.rules);
      this.grants.set(auth, g);
    }
    return g;
  }

  readonly middleware: Middleware = (call, next) => {
    const kind = KIND_OF[call.method];
    if (kind === undefined) return next();
    const grant = this.grantOf(call.auth);
    if (kind === 'list') return next().then((r) => filterList(call.method, r, grant));
    const target = kind === 'completion' ? completionTarget(call) : call.target === undefined ? undefined : { kind, name: call.target };
    if (target === undefined) return next(); // malformed params: the handler answers -32602
    if (grant.allows(target.kind, target.name)) return next();
    throw refusal(grant, target.kind, target.name);
  };
}

const KIND_OF: Record<string, Kind | 'list' | 'completion' | undefined> = {
  __proto__: null as never,
  'tools/list': 'list',
  'prompts/list': 'list',
  'resources/list': 'list',
  'resources/templates/list': 'list',
  'tools/call': 'tools',
  'prompts/get': 'prompts',
  'resources/read': 'resources',
  'resources/subscribe': 'resources',
  'resources/unsubscribe': 'resources',
  'completion/complete': 'completion',
};

const SINGULAR: Record<Kind, string> = { tools: 'tool', resources: 'resource', prompts: 'prompt' };

function refusal(grant: Grant, kind: Kind, target: string): McpError {
  const scopes = grant.scopesGranting(kind, target);
  const what = `${SINGULAR[kind]} "${target.length > 200 ? `${target.slice(0, 200)}…` : target}"`;
  if (scopes.length > 0) {
    return new McpError(ErrorCode.ServerError, `Forbidden: ${what} needs scope ${scopes.join(' or ')}`, { reason: 'insufficient_scope', scope: scopes.join(' '), kind: SINGULAR[kind], target });
  }
  return new McpError(ErrorCode.ServerError, `Forbidden: ${what} is not available to this caller`, { reason: 'forbidden', kind: SINGULAR[kind], target });
}

function rolesOf(claim: unknown): string[] {
  if (typeof claim === 'string') return claim.split(' ').filter((s) => s !== '');
  if (Array.isArray(claim)) return claim.filter((s): s is string => typeof s === 'string');
  return [];
}

function completionTarget(call: Call): { kind: Kind; name: string } | undefined {
  const ref = call.params.ref as { type?: unknown; name?: unknown; uri?: unknown } | undefined;
  if (ref?.type === 'ref/prompt' && typeof ref.name === 'string') return { kind: 'prompts', name: ref.name };
  if (ref?.type === 'ref/resource' && typeof ref.uri === 'string') return { kind: 'resources', name: ref.uri };
  return undefined;
}

const LIST_FIELD: Record<string, [field: string, key: string, kind: Kind]> = {
  'tools/list': ['tools', 'name', 'tools'],
  'prompts/list': ['prompts', 'name', 'prompts'],
  'resources/list': ['resources', 'uri', 'resources'],
  'resources/templates/list': ['resourceTemplates', 'uriTemplate', 'resources'],
};

/** A per-caller copy of a list page without what the caller may not use; the shared page when nothing is hidden. */
function filterList(method: string, result: Result, grant: Grant): Result {
  const [field, key, kind] = LIST_FIELD[method]!;
  const items = (result as Record<string, unknown>)[field];
  if (!Array.isArray(items)) return result;
  const kept = items.filter((it: Record<string, unknown>) => typeof it[key] === 'string' && grant.allows(kind, it[key] as string));
  if (kept.length === items.length) return result;
  const copy: Record<string, unknown> = {};
  for (const k of Object.keys(result)) copy[k] = k === field ? kept : (result as Record<string, unknown>)[k];
  return copy as Result;
}
