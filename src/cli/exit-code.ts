/**
 * Exit codes of commands that finish (validate, bench, gates): the action records its code on
 * the root program and runCli returns it, so the process exits with it even when a keep-alive
 * socket or a timer would otherwise keep it running.
 */
import type { Command } from 'commander';

const codes = new WeakMap<Command, number>();

function root(cmd: Command): Command {
  let c = cmd;
  while (c.parent) c = c.parent;
  return c;
}

export function setExitCode(cmd: Command, code: number): void {
  codes.set(root(cmd), code);
}

export function exitCodeOf(program: Command): number | undefined {
  return codes.get(program);
}
