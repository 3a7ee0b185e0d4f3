/**
 * A hand-written horizontal bar chart of the headline rows: how many times better ours is
 * than the SDK (throughput ratio as-is, latency and memory inverted), 1× marked.
 */
import { advantage, label, type Row } from './report.js';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function headlineSvg(rows: readonly Row[], subtitle: string): string {
  const items = rows.filter((r) => r.headline).map((r) => ({ text: label(r), adv: advantage(r) }));
  const labelW = 470;
  const barW = 420;
  const rowH = 22;
  const top = 56;
  const height = top + items.length * rowH + 30;
  const width = labelW + barW + 80;
  const max = Math.max(2, ...items.map((i) => i.adv ?? 0).filter(Number.isFinite));
  const scale = Math.min(max, 10);
  const x = (v: number): number => labelW + (Math.min(v, scale) / scale) * barW;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`);
  out.push(`<rect width="100%" height="100%" fill="#fff"/>`);
  out.push(`<text x="12" y="22" font-size="15" font-weight="bold">erlmcp vs @modelcontextprotocol/sdk — times better (&gt;1× = ours wins)</text>`);
  out.push(`<text x="12" y="40" fill="#555">${esc(subtitle)}</text>`);
  items.forEach((it, i) => {
    const y = top + i * rowH;
    out.push(`<text x="${labelW - 8}" y="${y + 14}" text-anchor="end">${esc(it.text)}</text>`);
    if (it.adv === undefined) {
      out.push(`<text x="${labelW + 4}" y="${y + 14}" fill="#999">n/a (a side failed or not measured)</text>`);
      return;
    }
    const w = Math.max(1, x(it.adv) - labelW);
    out.push(`<rect x="${labelW}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="${it.adv >= 1 ? '#2e7d32' : '#c62828'}"/>`);
    out.push(`<text x="${(labelW + w + 4).toFixed(1)}" y="${y + 14}">${it.adv.toFixed(2)}×${it.adv > scale ? ' (clipped)' : ''}</text>`);
  });
  const one = x(1);
  out.push(`<line x1="${one}" y1="${top - 4}" x2="${one}" y2="${top + items.length * rowH + 4}" stroke="#000" stroke-dasharray="4 3"/>`);
  out.push(`<text x="${one}" y="${top + items.length * rowH + 18}" text-anchor="middle">1×</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}
