/**
 * Client-side check of structuredContent against each tool's outputSchema
 * (server/tools#output-schema). Validators are compiled once per tool and schema, however often the client re-lists.
 */
import { ErlmcpError } from '../protocol/errors.js';
import type { CallToolResult, Tool } from '../protocol/types.js';
import { compileSchema, type CompiledSchema } from '../schema/validator.js';

export class OutputValidators {
  private readonly byTool = new Map<string, { schema: string; compiled: CompiledSchema }>();

  learn(tools: readonly Tool[]): void {
    for (const t of tools) {
      if (!t.outputSchema) {
        this.byTool.delete(t.name);
        continue;
      }
      // Clients re-list on every list_changed: an unchanged schema keeps its compiled validator.
      const schema = JSON.stringify(t.outputSchema);
      if (this.byTool.get(t.name)?.schema === schema) continue;
      try {
        this.byTool.set(t.name, { schema, compiled: compileSchema(t.outputSchema) });
      } catch {
        // A schema Ajv cannot compile is the server's problem; don't block calls over it.
        this.byTool.delete(t.name);
      }
    }
  }

  clear(): void {
    this.byTool.clear();
  }

  check(name: string, result: CallToolResult): void {
    const v = this.byTool.get(name)?.compiled;
    if (!v || result.isError) return;
    if (result.structuredContent === undefined) {
      throw new ErlmcpError('ERR_INVALID_RESULT', `Tool ${name} has an output schema but returned no structuredContent`);
    }
    const r = v.validate(result.structuredContent);
    if (r instanceof Promise) return; // JSON Schema validators are synchronous
    if (!r.ok) throw new ErlmcpError('ERR_INVALID_RESULT', `Tool ${name} returned structuredContent not matching its output schema: ${r.message}`);
  }
}
