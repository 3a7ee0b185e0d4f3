/**
 * `erlmcp validate <url> | -- <command> [args]`: the compliance and security report.
 * Exit code 0 when every MUST holds, 1 when one fails or the target cannot be reached, 2 on a
 * usage error. Progress goes to stderr; the report (text or --json) to stdout.
 */
import { writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { ErlmcpError } from '../../protocol/errors.js';
import { intInRange } from '../cli-options.js';
import { setExitCode } from '../exit-code.js';
import { DEFAULT_VALIDATE_OPTIONS } from './context.js';
// The checks and reports load on use: `erlmcp start` should not pay for them.
import { parseTarget } from './target.js';

interface IO {
  out(text: string): void;
  err(text: string): void;
}

interface Opts {
  json?: boolean;
  html?: string;
  callTools?: boolean;
  timeout: number;
  probeMs: number;
  bodyBytes: number;
  quiet?: boolean;
  header: string[];
}

export function registerValidate(program: Command, io: IO): void {
  program
    .command('validate')
    .description('Check any MCP server against the 2025-11-25 spec: protocol, transport and security (exit 0 when every MUST holds)')
    .argument('<target...>', 'an http(s) URL of a Streamable HTTP endpoint, or -- <command> [args] for a stdio server')
    .option('--json', 'print the report as JSON')
    .option('--html <file>', 'also write the report as one self-contained HTML page')
    .option('--call-tools', 'call every tool with arguments generated from its inputSchema (default: only tools annotated readOnlyHint)')
    .addOption(new Option('--timeout <ms>', 'time limit of one request').default(DEFAULT_VALIDATE_OPTIONS.timeoutMs).argParser(intInRange(100, 600_000, 'milliseconds')))
    .addOption(new Option('--probe-ms <ms>', 'time spent at each concurrency of the performance probe; 0 skips it').default(DEFAULT_VALIDATE_OPTIONS.probeMs).argParser(intInRange(0, 60_000, 'milliseconds')))
    .addOption(new Option('--body-bytes <n>', 'size of the body sent to test the HTTP body limit').default(DEFAULT_VALIDATE_OPTIONS.bodyBytes).argParser(intInRange(1024, 256 * 1024 * 1024, 'bytes')))
    .option('-H, --header <line>', 'an HTTP header ("Name: value") on every request, e.g. authorization; repeatable', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('-q, --quiet', 'no progress on stderr')
    .addHelpText(
      'after',
      `
Examples:
  erlmcp validate http://127.0.0.1:3000/mcp
  erlmcp validate --html report.html -- npx -y @modelcontextprotocol/server-everything
  erlmcp validate --json --call-tools -- node dist/server.js
  erlmcp validate -H "Authorization: Bearer $TOKEN" https://mcp.example.com/mcp`,
    )
    .action(async (words: string[], opts: Opts, cmd: Command) => {
      let target;
      try {
        target = parseTarget(words, opts.header);
      } catch (e) {
        if (e instanceof ErlmcpError) cmd.error(`error: ${e.message}`, { exitCode: 2, code: 'erlmcp.usage' });
        throw e;
      }
      const [{ runValidate }, { htmlReport }, { textReport }] = await Promise.all([import('./run.js'), import('./report-html.js'), import('./report-text.js')]);
      const report = await runValidate(target, { timeoutMs: opts.timeout, probeMs: opts.probeMs, callTools: opts.callTools === true, bodyBytes: opts.bodyBytes }, opts.quiet ? () => {} : (l) => io.err(`${l}\n`));
      if (opts.html) writeFileSync(opts.html, htmlReport(report));
      io.out(opts.json ? `${JSON.stringify(report, null, 2)}\n` : textReport(report));
      setExitCode(cmd, report.summary.mustFailed ? 1 : 0);
    });
}
