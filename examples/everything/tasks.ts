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
  // 'optional', not 'required' (as the suite's tasks-required-task-error wants): on 2025-11-25 a
  // required-task tool called plainly is -32601, which `erlmcp validate --call-tools` counts as a failure.
  server.tool('failing_job', { description: 'Always reports a tool error (a completed task with isError).', inputSchema: { type: 'object', properties: {} }, execution: { taskSupport: 'optional' } }, () => ({
    content: [{ type: 'text' as const, text: 'the job failed' }],
    isError: true,
  }));
  // A thrown error is a tool error (isError); a result that is not a CallToolResult is the
  // server's own failure, -32603: a protocol error, so the task ends `failed`.
  // Only as a task, so a plain call (2025-11-25 clients, validators) gets an ordinary tool error.
  server.tool('protocol_error_job', { description: 'As a task, fails with a JSON-RPC error (a failed task).', inputSchema: { type: 'object', properties: {} }, execution: { taskSupport: 'optional' } }, (_a, ctx) =>
    ctx.taskId === undefined ? { content: [{ type: 'text' as const, text: 'protocol_error_job fails only as a task' }], isError: true } : ({ broken: true } as unknown as CallToolResult),
  );
}
