/**
 * `erlmcp bench <url> | -- <command> [args]`: one common driver (our Client) for every server,
 * so servers are compared and not client stacks. `--compare <target>` measures a second server
 * alternately in the same run and prints ratios. Progress on stderr; table or --json on stdout.
 */
import { Option, InvalidArgumentError, type Command } from 'commander';
import { ErlmcpError } from '../../protocol/errors.js';
import { intInRange } from '../cli-options.js';
import { setExitCode } from '../exit-code.js';
import { parseTarget, type Target } from '../validate/target.js';
import { compare } from './compare.js';
import { DEFAULT_BENCH_OPTIONS, measure } from './measure.js';
import { comparisonTable, resultTable } from './report.js';
import { splitCommandLine } from './split.js';

interface IO {
  out(text: string): void;
  err(text: string): void;
}

interface Opts {
  compare?: string;
  inFlight: number[];
  durationMs: number;
  warmupMs: number;
  rounds: number;
  tool?: string;
  arguments?: Record<string, unknown>;
  timeout: number;
  json?: boolean;
  quiet?: boolean;
  header: string[];
}

function parseLevels(value: string): number[] {
  const levels = value.split(',').map((v) => Number(v.trim()));
  if (!levels.length || levels.some((n) => !Number.isInteger(n) || n < 1 || n > 1024)) throw new InvalidArgumentError('Expected in-flight counts from 1 to 1024, comma-separated (e.g. 1,16).');
  return levels;
}

function parseArguments(value: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError('Expected a JSON object.');
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new InvalidArgumentError('Expected a JSON object.');
  return v as Record<string, unknown>;
}

export function registerBench(program: Command, io: IO): void {
  program
    .command('bench')
    .description('Benchmark any MCP server with one common driver: calls/s, p50/p99, server CPU per call, peak RSS')
    .argument('<target...>', 'an http(s) URL of a Streamable HTTP endpoint, or -- <command> [args] for a stdio server')
    .option('--compare <target>', 'a second server (URL, or a command line in one quoted string) measured alternately in the same run')
    .addOption(new Option('--in-flight <list>', 'concurrency levels, comma-separated').default(DEFAULT_BENCH_OPTIONS.inFlight, '1,16').argParser(parseLevels))
    .addOption(new Option('--duration-ms <ms>', 'measuring time per level (per round with --compare)').default(DEFAULT_BENCH_OPTIONS.durationMs).argParser(intInRange(100, 600_000, 'milliseconds')))
    .addOption(new Option('--warmup-ms <ms>', 'unmeasured load before measuring').default(DEFAULT_BENCH_OPTIONS.warmupMs).argParser(intInRange(0, 600_000, 'milliseconds')))
    .addOption(new Option('--rounds <n>', 'alternating rounds with --compare (medians are reported)').default(3).argParser(intInRange(1, 100, 'rounds')))
    .option('--tool <name>', 'call this tool instead of sending ping')
    .addOption(new Option('--arguments <json>', 'arguments of --tool, a JSON object').argParser(parseArguments))
    .addOption(new Option('--timeout <ms>', 'time limit of one request').default(DEFAULT_BENCH_OPTIONS.timeoutMs).argParser(intInRange(100, 600_000, 'milliseconds')))
    .option('-H, --header <line>', 'an HTTP header ("Name: value") on every request to URL targets; repeatable', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--json', 'print the figures as JSON')
    .option('-q, --quiet', 'no progress on stderr')
    .addHelpText(
      'after',
      `
Server CPU per call and peak RSS are read from /proc (Linux) for a stdio server (the process
started, with its children) or for the local process listening on a loopback URL's port.

Examples:
  erlmcp bench http://127.0.0.1:3000/mcp --in-flight 1,16,64
  erlmcp bench --tool echo --arguments '{"message":"hi"}' -- node dist/server.js
  erlmcp bench --compare "node other-server.js" -- node dist/server.js`,
    )
    .action(async (words: string[], opts: Opts, cmd: Command) => {
      let a: Target;
      let b: Target | undefined;
      try {
        const isUrl = (w: string[]) => w.length === 1 && /^https?:\/\//i.test(w[0]!);
        a = parseTarget(words, isUrl(words) ? opts.header : []);
        if (opts.compare !== undefined) {
          const other = splitCommandLine(opts.compare);
          b = parseTarget(other, isUrl(other) ? opts.header : []);
        }
      } catch (e) {
        if (e instanceof ErlmcpError) cmd.error(`error: ${e.message}`, { exitCode: 2, code: 'erlmcp.usage' });
        throw e;
      }
      const bench = { inFlight: opts.inFlight, durationMs: opts.durationMs, warmupMs: opts.warmupMs, tool: opts.tool, toolArguments: opts.arguments, timeoutMs: opts.timeout };
      const progress = opts.quiet ? () => {} : (l: string) => io.err(`${l}\n`);
      if (b) {
        const c = await compare(a, b, bench, opts.rounds, progress);
        io.out(opts.json ? `${JSON.stringify({ results: [c.a, c.b], comparison: c }, null, 2)}\n` : comparisonTable(c));
        setExitCode(cmd, c.levels.some((l) => l.a.errors || l.b.errors) ? 1 : 0);
      } else {
        const r = await measure(a, bench, progress);
        io.out(opts.json ? `${JSON.stringify({ results: [r] }, null, 2)}\n` : resultTable(r));
        setExitCode(cmd, r.levels.some((l) => l.errors) ? 1 : 0);
      }
    });
}
