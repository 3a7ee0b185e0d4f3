/**
 * A hand-written horizontal bar chart of the headline rows: how many times better ours is
 * than the SDK (throughput ratio as-is, latency and memory inverted) on a log scale, so a
 * 2× loss and a 2× win are bars of equal length either side of the 1× line.
 */
import { advantage, label, type Row } from './report.js';

const MIN = 1 / 4;
const MAX = 32;
const TICKS = [0.25, 0.5, 1, 2, 4, 8, 16, 32];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Why a headline row has no ratio; the transport's own error is the informative part. */
function missing(r: Row): string {
  const short = (c: string): string => {
    const i = c.indexOf('(transport: ');
    const t = i >= 0 ? c.slice(i + 12).replace(/\)$/, '') : c;
    return t.length > 50 ? `${t.slice(0, 47)}…` : t;
  };
  if (typeof r.sdk === 'string') return `SDK failed: ${short(r.sdk)}`;
  if (typeof r.ours === 'string') return `ours failed: ${short(r.ours)}`;
  return 'n/a (not measured)';
}

export function headlineSvg(rows: readonly Row[], subtitle: string): string {
  const items = rows.filter((r) => r.headline).map((r) => ({ text: label(r), adv: advantage(r), why: missing(r) }));
  const labelW = 470;
  const barW = 440;
  const rowH = 22;
  const top = 56;
  const bottom = top + items.length * rowH;
  const width = labelW + barW + 70;
  const height = bottom + 34;
  const x = (v: number): number => labelW + ((Math.log2(Math.min(MAX, Math.max(MIN, v))) - Math.log2(MIN)) / (Math.log2(MAX) - Math.log2(MIN))) * barW;
  const one = x(1);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`);
  out.push(`<rect width="100%" height="100%" fill="#fff"/>`);
  out.push(`<text x="12" y="22" font-size="15" font-weight="bold">erlmcp vs @modelcontextprotocol/sdk — times better (&gt;1× = ours wins, log scale)</text>`);
  out.push(`<text x="12" y="40" fill="#555">${esc(subtitle)}</text>`);
  for (const t of TICKS) {
    out.push(`<line x1="${x(t).toFixed(1)}" y1="${top - 4}" x2="${x(t).toFixed(1)}" y2="${bottom + 4}" stroke="${t === 1 ? '#000' : '#ddd'}"${t === 1 ? ' stroke-dasharray="4 3"' : ''}/>`);
    out.push(`<text x="${x(t).toFixed(1)}" y="${bottom + 18}" text-anchor="middle" fill="#555">${t}×</text>`);
  }
  items.forEach((it, i) => {
    const y = top + i * rowH;
    out.push(`<text x="${labelW - 8}" y="${y + 14}" text-anchor="end">${esc(it.text)}</text>`);
    if (it.adv === undefined) {
      out.push(`<text x="${one + 4}" y="${y + 14}" font-size="11" fill="#777">${esc(it.why)}</text>`);
      return;
    }
    const end = x(it.adv);
    const win = it.adv >= 1;
    const left = Math.min(one, end);
    const w = Math.max(1, Math.abs(end - one));
    out.push(`<rect x="${left.toFixed(1)}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="${win ? '#2e7d32' : '#c62828'}"/>`);
    const text = `${it.adv.toFixed(2)}×`;
    // Inside the bar when it reaches the edge, else just past its end.
    const inside = win ? end > labelW + barW - 50 : end < labelW + 50;
    const tx = win ? (inside ? end - 4 : end + 4) : inside ? end + 4 : end - 4;
    const anchor = win === inside ? 'end' : 'start';
    out.push(`<text x="${tx.toFixed(1)}" y="${y + 14}" text-anchor="${anchor}" fill="${inside ? '#fff' : '#000'}">${text}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
