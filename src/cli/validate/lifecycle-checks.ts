/**
 * Initialization and version negotiation (basic/lifecycle), over a raw session so the versions
 * sent are exactly the ones under test. Each negotiation uses its own session (for stdio, its
 * own server process), since a session is initialized once.
 */
import { fail, info, pass, skip, verdict, type Outcome } from './checks.js';
import { errorOf, type CheckContext } from './context.js';
import { initializeParams, openRaw } from './raw-session.js';
import { SPEC_REVISION } from './types.js';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const UNKNOWN_VERSION = '1999-01-01';
const OLD_VERSION = '2024-11-05';

export interface Negotiated {
  response: Record<string, unknown> | undefined;
  version: string | undefined;
  /** HTTP status of the initialize POST (HTTP targets). */
  httpStatus?: number;
}

async function negotiate(ctx: CheckContext, version: string): Promise<Negotiated> {
  const raw = openRaw(ctx.target, ctx.opts.timeoutMs);
  try {
    const response = await raw.request('initialize', initializeParams(version));
    const v = (response?.result as { protocolVersion?: unknown } | undefined)?.protocolVersion;
    return { response, version: typeof v === 'string' ? v : undefined, httpStatus: raw.last?.status };
  } finally {
    await raw.close();
  }
}

/** Runs the lifecycle checks; resolves with the server's answer to a latest-version initialize. */
export async function lifecycleChecks(ctx: CheckContext): Promise<Negotiated | undefined> {
  let latest: Negotiated | undefined;
  await ctx.rec.check(
    { id: 'lifecycle.initialize', level: 'MUST', spec: 'basic/lifecycle#initialization', title: 'initialize answers with protocolVersion, capabilities and serverInfo (name, version)' },
    async (): Promise<Outcome> => {
      latest = { response: undefined, version: undefined };
      latest = await negotiate(ctx, SPEC_REVISION);
      const r = latest.response;
      // Without a token nothing can be checked but the discovery of how to get one (http.auth.metadata).
      if (latest.httpStatus === 401) return skip('the server requires authorization (HTTP 401): see http.auth.metadata');
      if (!r) return fail(latest.httpStatus ? `no JSON-RPC response (HTTP ${latest.httpStatus})` : 'no response to initialize');
      const e = errorOf(r);
      if (e) return fail(`error ${String(e.code)}: ${String(e.message)}`);
      const res = r.result as { protocolVersion?: unknown; capabilities?: unknown; serverInfo?: { name?: unknown; version?: unknown } } | undefined;
      const problems: string[] = [];
      if (typeof res?.protocolVersion !== 'string') problems.push('protocolVersion is not a string');
      if (res?.capabilities === null || typeof res?.capabilities !== 'object') problems.push('capabilities is not an object');
      if (typeof res?.serverInfo?.name !== 'string') problems.push('serverInfo.name is not a string');
      if (typeof res?.serverInfo?.version !== 'string') problems.push('serverInfo.version is not a string');
      return problems.length ? fail(problems.join('; ')) : pass(`${String(res?.serverInfo?.name)} ${String(res?.serverInfo?.version)}, protocol ${String(res?.protocolVersion)}`);
    },
  );
  if (!latest?.version) return latest;
  const latestVersion = latest.version;

  await ctx.rec.check(
    { id: 'lifecycle.version.latest', level: 'MUST', spec: 'basic/lifecycle#version-negotiation', title: `a request for ${SPEC_REVISION} is answered with that version if supported, else another supported version` },
    () => (DATE.test(latestVersion) ? pass(latestVersion === SPEC_REVISION ? `answered ${latestVersion}` : `answered ${latestVersion}: ${SPEC_REVISION} is not supported`) : fail(`answered "${latestVersion}", not a protocol version`)),
  );

  let unknown: Negotiated | undefined;
  await ctx.rec.check(
    { id: 'lifecycle.version.unknown', level: 'MUST', spec: 'basic/lifecycle#version-negotiation', title: `a request for an unknown version (${UNKNOWN_VERSION}) is answered with a version the server supports` },
    async () => {
      unknown = await negotiate(ctx, UNKNOWN_VERSION);
      const e = errorOf(unknown.response);
      // basic/lifecycle#error-handling shows a version mismatch answered as an error, too.
      if (e) return verdict(e.code === -32602, `answered with error ${String(e.code)}: ${String(e.message)}`);
      if (!unknown.response) return fail('no response');
      if (unknown.version === UNKNOWN_VERSION) return fail(`echoed the unknown version ${UNKNOWN_VERSION}`);
      return verdict(unknown.version !== undefined && DATE.test(unknown.version), `answered ${String(unknown.version)}`);
    },
  );

  await ctx.rec.check(
    { id: 'lifecycle.version.offers-latest', level: 'SHOULD', spec: 'basic/lifecycle#version-negotiation', title: 'the version offered for an unsupported request is the latest the server supports' },
    () => {
      if (!unknown?.version) return skip('the unknown-version request was not answered with a version');
      return verdict(unknown.version >= latestVersion, `offered ${unknown.version}; accepts ${latestVersion}`);
    },
  );

  await ctx.rec.check(
    { id: 'lifecycle.version.old', level: 'info', spec: 'basic/lifecycle#version-negotiation', title: `which version a ${OLD_VERSION} client is offered` },
    async () => {
      const old = await negotiate(ctx, OLD_VERSION);
      const e = errorOf(old.response);
      if (e) return info(`error ${String(e.code)}: ${String(e.message)}`);
      return info(old.version === OLD_VERSION ? `${OLD_VERSION} supported` : `offered ${String(old.version)} instead`);
    },
  );
  return latest;
}
