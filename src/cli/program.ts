/**
 * The `erlmcp` command line (commander). Exit codes: 0 help/version or a clean shutdown,
 * 1 a runtime failure (port taken, Redis unreachable, module throwing), 2 a usage error
 * (unknown option, bad value, options that cannot work together).
 * Each command lives in its own file and registers itself here.
 */
import { Command, CommanderError } from 'commander';
import { ErlmcpError } from '../protocol/errors.js';
import { addAuditCommand } from './audit-command.js';
import { exitCodeOf } from './exit-code.js';
import { registerValidate } from './validate/command.js';
import { registerGates } from './gates/command.js';
import { registerBench } from './bench/command.js';
import { CliError, EXIT_FAILURE, EXIT_USAGE, red, useColor } from './errors.js';
import { addCallCommand } from './call/command.js';
import { addInitCommand } from './init/command.js';
import { addStartCommand } from './start-command.js';
import { addStatusCommands } from './status-command.js';
import { version } from './version.js';
import type { RunningServer } from './start.js';
import { registerGateway } from './gateway/command.js';

export { EXIT_FAILURE, EXIT_USAGE } from './errors.js';
export { parsePort, parseWorkers, parseRedisUrl, parseRate, parseLimit, parseMetricsPort } from './parse.js';

export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  /** Colour error output (default: stderr is a TTY and NO_COLOR is unset). */
  color?: boolean;
  /** Called once `start` serves; the default installs the SIGINT/SIGTERM handlers that exit the process. */
  onStarted?(running: RunningServer): void;
  /** `start --stdio`: called once the client closed stdin and the server closed; default exits 0. */
  onStdioEnd?(): void;
}

const stdio: CliIO = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};


/** The program; commander never exits the process itself (errors throw CommanderError, see runCli). */
export function createProgram(io: CliIO = stdio): Command {
  const program = new Command('erlmcp');
  // Set before adding commands: subcommands copy these settings when created.
  program
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError('(run with --help for usage)')
    .description('Model Context Protocol runtime for Node.js (MCP 2026-07-28 and 2025-11-25)')
    .version(version(), '-v, --version');

  addStartCommand(program, io);
  addCallCommand(program, io);
  addInitCommand(program, io);
  addStatusCommands(program, io);

  registerValidate(program, io);
  registerBench(program, io);
  registerGates(program, io);
  addAuditCommand(program, io);
  registerGateway(program, io);
  return program;
}

/**
 * Parses and runs `argv` (without node and the script). Resolves with the exit code once
 * the command is done, or with undefined while `start` keeps serving.
 */
export async function runCli(argv: string[], io: CliIO = stdio): Promise<number | undefined> {
  const color = io.color ?? useColor(process.stderr);
  try {
    const program = createProgram(io);
    await program.parseAsync(argv, { from: 'user' });
    return exitCodeOf(program);
  } catch (e) {
    // Commander has printed its message; help and --version carry exit code 0.
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : EXIT_USAGE;
    const usage = e instanceof CliError ? e.exitCode === EXIT_USAGE : e instanceof ErlmcpError && e.code === 'ERR_INVALID_ARGUMENT';
    io.err(`${red('erlmcp: error:', color)} ${(e as Error).message}\n${usage ? '(run with --help for usage)\n' : ''}`);
    return e instanceof CliError ? e.exitCode : usage ? EXIT_USAGE : EXIT_FAILURE;
  }
}
