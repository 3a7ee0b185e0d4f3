/**
 * SEP-1034: when the user accepts a form elicitation without supplying a field that has a
 * `default` in the requested schema, the client library fills the default in, so the server
 * sees what the user saw pre-filled.
 */
import type { ElicitRequestParams, ElicitResult, ElicitContentValue } from '../protocol/types.js';

export function applyElicitationDefaults(params: ElicitRequestParams, result: ElicitResult): ElicitResult {
  if (result.action !== 'accept' || params.mode === 'url') return result;
  const props = params.requestedSchema?.properties;
  if (!props) return result;
  let content: Record<string, ElicitContentValue> | undefined;
  for (const [name, schema] of Object.entries(props)) {
    const def = (schema as { default?: ElicitContentValue }).default;
    if (def === undefined || result.content?.[name] !== undefined) continue;
    content ??= { ...result.content };
    content[name] = def;
  }
  return content ? { ...result, content } : result;
}
