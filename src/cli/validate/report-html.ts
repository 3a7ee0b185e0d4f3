/**
 * The `--html` report: one self-contained page (inline CSS, no script, no external resource),
 * every value escaped, so it can be archived or attached as it is.
 */
import { byLevel, LEVELS, verdictLine } from './report-text.js';
import type { ValidateReport } from './types.js';
import { SPEC_REVISION } from './types.js';

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1d232a;background:#fff}
h1{font-size:1.4rem;margin:0 0 .3rem}h2{font-size:1.1rem;margin:1.6rem 0 .4rem}
.meta{color:#555}.verdict{padding:.6rem .9rem;border-radius:6px;font-weight:600;margin:1rem 0}
.ok{background:#e5f5e8;color:#145a26}.bad{background:#fde8e8;color:#8a1c1c}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #e3e6ea;vertical-align:top}
th{background:#f4f6f8}td.s{font-weight:600;white-space:nowrap}tr.fail td.s{color:#b42318}tr.pass td.s{color:#16803c}
tr.skip{color:#777}code{font-size:12px;background:#f4f6f8;padding:0 .25rem;border-radius:3px}`;

export function htmlReport(r: ValidateReport): string {
  const sections = LEVELS.map((level) => {
    const list = byLevel(r.checks, level);
    if (!list.length) return '';
    const rows = list
      .map((c) => `<tr class="${c.status}" id="${esc(c.id)}"><td class="s">${esc(c.status)}</td><td><code>${esc(c.id)}</code><br>${esc(c.title)}</td><td>${esc(c.detail)}</td><td><code>${esc(c.spec)}</code></td></tr>`)
      .join('\n');
    return `<h2>${esc(level)}</h2>\n<table><thead><tr><th>result</th><th>check</th><th>observed</th><th>spec (${SPEC_REVISION})</th></tr></thead><tbody>\n${rows}\n</tbody></table>`;
  }).join('\n');
  const probe = r.probe.length
    ? `<h2>Performance probe</h2><table><thead><tr><th>request</th><th>in flight</th><th>calls/s</th><th>p50 ms</th><th>p99 ms</th><th>calls</th><th>errors</th></tr></thead><tbody>${r.probe
        .map((p) => `<tr><td>${esc(p.method)}</td><td>${p.inFlight}</td><td>${p.callsPerSecond}</td><td>${p.p50Ms}</td><td>${p.p99Ms}</td><td>${p.calls}</td><td>${p.errors}</td></tr>`)
        .join('')}</tbody></table>`
    : '';
  const server = r.server ? `${esc(r.server.name)} ${esc(r.server.version)}, protocol ${esc(r.server.protocolVersion)}` : 'no session established';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="icon" href="data:,"><title>erlmcp validate — ${esc(r.target)}</title><style>${CSS}</style></head>
<body>
<h1>MCP validation report</h1>
<p class="meta">Target <code>${esc(r.target)}</code> (${esc(r.transport)}) · server ${server} · ${esc(r.startedAt)} · ${(r.durationMs / 1000).toFixed(1)} s · erlmcp ${esc(r.tool.version)}, Node ${esc(r.node)}</p>
<p class="verdict ${r.summary.mustFailed ? 'bad' : 'ok'}">${esc(verdictLine(r))}</p>
${sections}
${probe}
</body></html>
`;
}
