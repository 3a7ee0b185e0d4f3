/**
 * Fixtures of the tasks-extension conformance scenarios (SEP-2663, `io.modelcontextprotocol/tasks`
 * on 2026-07-28): which tools may become tasks is declared with `execution.taskSupport`; the
 * server decides, per request that declared the extension, to run them as tasks.
 */
import type { CallToolResult } from '../../src/protocol/types.js';
import type { McpServer } from '../../src/server/index.js';

const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });

/** Resolves after `ms`, or rejects as soon as `signal` aborts (a cancelled task stops at once). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error('cancelled'));
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), reject(new Error('cancelled'))), { once: true });
  });
}

export function registerTaskFixtures(server: McpServer): void {
  server.tool('greet', { description: 'Greets by name, synchronously (never a task).', inputSchema: { type: 'object', properties: { name: { type: 'string' } } } }, (a) => text(`Hello, ${String(a.name ?? 'world')}!`));
  server.tool(
    'slow_compute',
    { description: 'Sleeps `seconds`, then answers; may run as a task.', inputSchema: { type: 'object', properties: { seconds: { type: 'number' }, label: { type: 'string' } } }, execution: { taskSupport: 'optional' } },
    async (a, ctx) => {
      await sleep(Math.max(0, Number(a.seconds ?? 0)) * 1000, ctx.signal);
      return text(`computed ${String(a.label ?? '')}`);
    },
  );
  // Task support 'required' (tasks-required-task-error): a 2026-07-28 request without the
  // extension is -32021, a plain 2025-11-25 call -32601.
  server.tool('failing_job', { description: 'Always reports a tool error (a completed task with isError).', inputSchema: { type: 'object', properties: {} }, execution: { taskSupport: 'required' } }, () => ({
    content: [{ type: 'text' as const, text: 'the job failed' }],
    isError: true,
  }));
  // A thrown error is a tool error (isError); a result that is not a CallToolResult is the
  // server's own failure, -32603: a protocol error, so the task ends `failed`.
  // Only as a task, so a plain call (2025-11-25 clients, validators) gets an ordinary tool error.
  server.tool('protocol_error_job', { description: 'As a task, fails with a JSON-RPC error (a failed task).', inputSchema: { type: 'object', properties: {} }, execution: { taskSupport: 'optional' } }, (_a, ctx) =>
    ctx.taskId === undefined ? { content: [{ type: 'text' as const, text: 'protocol_error_job fails only as a task' }], isError: true } : ({ broken: true } as unknown as CallToolResult),
  );

  // A task that needs input parks in input_required until tasks/update answers (SEP-2663);
  // on a 2025-11-25 session the same call sends elicitation/create to the client.
  server.tool(
    'confirm_delete',
    { description: 'Asks for confirmation before "deleting" a file; may run as a task.', inputSchema: { type: 'object', properties: { filename: { type: 'string' } } }, execution: { taskSupport: 'optional' } },
    async (a, ctx) => {
      const file = String(a.filename ?? 'file.txt');
      const r = await ctx.elicit({ message: `Delete ${file}?`, requestedSchema: { type: 'object', properties: { confirm: { type: 'boolean' } }, required: ['confirm'] } }, { inputKey: 'confirm' });
      return text(r.action === 'accept' && r.content?.confirm === true ? `deleted ${file}` : `kept ${file} (${r.action})`);
    },
  );
  server.tool(
    'multi_input',
    { description: 'Asks two questions at once; may run as a task.', inputSchema: { type: 'object', properties: {} }, execution: { taskSupport: 'optional' } },
    async (_a, ctx) => {
      const ask = (what: string, key: string) => ctx.elicit({ message: `Your ${what}?`, requestedSchema: { type: 'object', properties: { name: { type: 'string' } } } }, { inputKey: key });
      const [first, second] = await Promise.all([ask('first name', 'first'), ask('last name', 'last')]);
      return text(`got ${String(first.content?.name ?? first.action)} and ${String(second.content?.name ?? second.action)}`);
    },
  );
  // MRTR, then a task (SEP-2663 composition): the name is asked on the request, the rest runs as a task.
  server.tool(
    'test_tool_with_task',
    { description: 'Asks for your name, then greets you from a task.', inputSchema: { type: 'object', properties: {} }, execution: { taskSupport: 'required' }, taskStart: 'handler' },
    async (_a, ctx) => {
      const r = await ctx.elicit({ message: 'What is your name?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } }, { inputKey: 'user_name' });
      const name = r.action === 'accept' ? String(r.content?.name ?? '') : `(${r.action})`;
      return ctx.runAsTask(async () => text(`Hello, ${name}! (from a task)`));
    },
  );
}
