/**
 * stdio transport (basic/transports#stdio): one server process driven line by line — initialize,
 * a ping, a line that is not JSON, another ping, a list — then stdin is closed. Every line the
 * server wrote to stdout must have been a JSON-RPC message.
 */
import { fail, pass, skip, verdict } from './checks.js';
import type { CheckContext } from './context.js';
import { initializeParams } from './raw-session.js';
import { RawStdio } from './raw-stdio.js';
import { SPEC_REVISION } from './types.js';

const EXIT_WAIT_MS = 5000;

export async function stdioChecks(ctx: CheckContext): Promise<void> {
  if (ctx.target.kind !== 'stdio') return;
  const t = ctx.opts.timeoutMs;
  const proc = new RawStdio(ctx.target);
  try {
    const init = await proc.request('i', 'initialize', initializeParams(SPEC_REVISION), t);
    if (!init?.result) {
      ctx.rec.skipAll(
        [{ id: 'stdio.session', level: 'MUST', spec: 'basic/transports#stdio', title: 'the stdio checks ran' }],
        `no initialize result (${proc.hasExited ? 'the process exited' : 'no answer'}): ${proc.stderrTail.join('').slice(-300)}`,
      );
      return;
    }
    proc.notify('notifications/initialized');
    const caps = (init.result as { capabilities?: Record<string, unknown> }).capabilities ?? {};
    await proc.request('p1', 'ping', undefined, t);

    await ctx.rec.check({ id: 'stdio.parse-error', level: 'SHOULD', spec: 'basic/transports#stdio (JSON-RPC 2.0 §5.1)', title: 'a line that is not JSON is answered with error -32700 (Parse error) and id null' }, async () => {
      proc.writeLine('{"jsonrpc": "2.0", "id": "bad", "method": ');
      const r = await proc.waitFor((m) => m.id === null && m.error !== undefined, Math.min(t, 3000));
      if (!r) return fail(proc.hasExited ? 'the process exited' : 'no error response within 3 s');
      const code = (r.error as { code?: unknown }).code;
      return verdict(code === -32700, `error ${String(code)}`);
    });
    await ctx.rec.check({ id: 'stdio.survives-bad-line', level: 'SHOULD', spec: 'basic/transports#stdio (JSON-RPC 2.0 §5)', title: 'after a malformed line the server still answers requests' }, async () => {
      const r = await proc.request('p2', 'ping', undefined, t);
      return verdict(r?.result !== undefined, r ? 'ping answered' : proc.hasExited ? 'the process exited' : 'no answer to ping');
    });
    if (caps.tools !== undefined) await proc.request('l', 'tools/list', undefined, t);

    await ctx.rec.check({ id: 'stdio.stdout-only-messages', level: 'MUST', spec: 'basic/transports#stdio', title: 'nothing but JSON-RPC messages is written to stdout, one per line' }, () => {
      const bad = proc.lines.filter((l) => !l.message && l.text.trim() !== '');
      return bad.length ? fail(`${bad.length} of ${proc.lines.length} line(s) are not JSON-RPC, first: ${JSON.stringify(bad[0]!.text.slice(0, 120))}`) : pass(`${proc.lines.length} line(s), all JSON-RPC`);
    });
    await ctx.rec.check({ id: 'stdio.exit-on-eof', level: 'SHOULD', spec: 'basic/lifecycle#stdio', title: `the server exits within ${EXIT_WAIT_MS / 1000} s of its stdin being closed` }, async () => {
      if (proc.hasExited) return skip('the process had already exited');
      const t0 = performance.now();
      const exited = await proc.closeStdin(EXIT_WAIT_MS);
      const st = exited ? await proc.exited : undefined;
      return verdict(exited, exited ? `exited in ${Math.round(performance.now() - t0)} ms (code ${String(st?.code)})` : 'still running');
    });
  } finally {
    await proc.kill();
  }
}
