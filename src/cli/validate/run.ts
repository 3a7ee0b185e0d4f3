/**
 * `erlmcp validate` as a function: runs every group of checks against a target and returns
 * the report. The command (command.ts) and the `validate` gate both call this.
 *
 * @example
 *   const report = await runValidate(parseTarget(['http://127.0.0.1:3000/mcp']), {}, console.error);
 *   if (report.summary.mustFailed) process.exitCode = 1;
 */
import { readFileSync } from 'node:fs';
import { describeError, fail, Recorder, type Progress } from './checks.js';
import { DEFAULT_VALIDATE_OPTIONS, type CheckContext, type ValidateOptions } from './context.js';
import { promptChecks, resourceChecks, utilityChecks } from './feature-checks.js';
import { httpChecks } from './http-checks.js';
import { lifecycleChecks } from './lifecycle-checks.js';
import { listChecks } from './list-checks.js';
import { probe } from './probe.js';
import { stdioChecks } from './stdio-checks.js';
import { connect, type Session, type Target } from './target.js';
import { toolChecks } from './tool-checks.js';
import { summarize, type ProbeFigures, type ValidateReport } from './types.js';

export function toolVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export async function runValidate(target: Target, options: Partial<ValidateOptions> = {}, progress: Progress = () => {}): Promise<ValidateReport> {
  const opts = { ...DEFAULT_VALIDATE_OPTIONS, ...options };
  const started = new Date();
  const t0 = performance.now();
  // A step may wait for one request's time limit several times over (a list of pages, 3 reads).
  const rec = new Recorder(progress, Math.max(opts.timeoutMs * 4, 30_000));
  const ctx: CheckContext = { target, rec, opts };
  progress(`validating ${target.label} (${target.kind})`);

  let server: ValidateReport['server'];
  let probeFigures: ProbeFigures[] = [];
  const initialized = await lifecycleChecks(ctx);
  // Without an initialize result nothing else can be checked — except a 401, which the HTTP
  // checks follow to the authorization metadata.
  if (!initialized?.version && initialized?.httpStatus !== 401) return finish();
  await httpChecks(ctx);
  const needsAuth = rec.results.some((r) => r.id === 'http.auth.metadata' && r.status !== 'skip');

  if (!needsAuth) {
    let session: Session | undefined;
    await rec.check({ id: 'client.session', level: 'MUST', spec: 'basic/lifecycle#initialization', title: 'a client session can be established (initialize, initialized)' }, async () => {
      try {
        session = await connect(target, { timeoutMs: opts.timeoutMs });
      } catch (e) {
        return fail(describeError(e));
      }
      return { status: 'pass', detail: `protocol ${session.client.protocolVersion}` };
    });
    if (session) {
      const client = session.client;
      server = {
        name: String(client.serverInfo?.name),
        version: String(client.serverInfo?.version),
        protocolVersion: String(client.protocolVersion),
        capabilities: (client.serverCapabilities ?? {}) as Record<string, unknown>,
      };
      try {
        const listed = await listChecks(ctx, client);
        const probeTool = await toolChecks(ctx, client, listed.tools);
        await resourceChecks(ctx, client, listed);
        await promptChecks(ctx, client, listed);
        await utilityChecks(ctx, client, listed);
        if (opts.probeMs > 0) probeFigures = await probe(client, opts.probeMs, opts.callTools ? probeTool : undefined, progress);
      } finally {
        await session.close();
      }
    }
  }
  await stdioChecks(ctx);
  return finish();

  function finish(): ValidateReport {
    return {
    tool: { name: 'erlmcp validate', version: toolVersion() },
    node: process.version,
    target: target.label,
    transport: target.kind,
    startedAt: started.toISOString(),
    durationMs: Math.round(performance.now() - t0),
    ...(server ? { server } : {}),
    checks: rec.results,
    probe: probeFigures,
    summary: summarize(rec.results),
    };
  }
}
