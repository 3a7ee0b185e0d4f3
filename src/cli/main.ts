#!/usr/bin/env node
/** Entry of the `erlmcp` command (package.json `bin`); the program is in program.ts. */
import { runCli } from './program.js';

const code = await runCli(process.argv.slice(2));
// A failed start may leave handles behind (e.g. cluster workers already forked): exit for sure.
if (code !== undefined) process.exit(code);
