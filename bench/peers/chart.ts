/**
 * The benchmark's bar chart as a standalone SVG (no dependencies): one panel per network with its
 * own scale (latencies differ 10× between networks), one horizontal bar per runtime, precision and
 * thread count at the median, a tick at p90, the value and our ratio to it. Colour = runtime;
 * 2+ threads lighter; int8 bars hatched. The label names the platform (node / chromium).
 */
import { escapeXml, px } from '../../src/draw/svg.js';
import { missingCell } from './report.js';
import { PRECISIONS, RUNTIME_ORDER, RUNTIMES, type RuntimeId } from './runtimes.js';
import { rowPlatform, rowPrecision, type BenchResult, type BenchRow } from './results.js';

const COLOURS: Record<RuntimeId, string> = { ours: '#2563eb', 'ort-web': '#d97706', 'tfjs-wasm': '#dc2626', 'ort-node': '#6b7280' };
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';
const WIDTH = 1000;
const LABEL_W = 340;
const BAR_MAX = 400;
const ROW_H = 18;

function text(x: number, y: number, s: string, attrs = ''): string {
  return `<text x="${px(x)}" y="${px(y)}" ${attrs}>${escapeXml(s)}</text>`;
}

function barRow(row: BenchRow, y: number, scale: number): string[] {
  const parts: string[] = [];
  const label = `${RUNTIMES[row.runtime].label} · ${rowPlatform(row)} · ${rowPrecision(row)} · ${row.threads} thr${row.threadsUsed !== undefined && row.threadsUsed !== row.threads ? ` (ran ${row.threadsUsed})` : ''}`;
  parts.push(text(LABEL_W - 8, y + 13, label, 'text-anchor="end" font-size="12" fill="#111827"'));
  if (row.p50Ms === undefined) {
    const why = row.error?.startsWith('output differs') ? 'output mismatch — not timed' : missingCell(row);
    parts.push(text(LABEL_W + 4, y + 13, why, 'font-size="12" fill="#6b7280" font-style="italic"'));
    return parts;
  }
  const w = Math.max(1, row.p50Ms * scale);
  const opacity = row.threads > 1 ? ' fill-opacity="0.55"' : '';
  parts.push(
    `<rect x="${LABEL_W}" y="${px(y + 2)}" width="${px(w)}" height="${ROW_H - 4}" fill="${COLOURS[row.runtime]}"${opacity}>` +
      `<title>${escapeXml(`${row.label}, ${rowPlatform(row)}, ${rowPrecision(row)}, ${row.threads} thr: p50 ${row.p50Ms.toFixed(1)} ms, p90 ${row.p90Ms?.toFixed(1)} ms`)}</title></rect>`,
  );
  if (rowPrecision(row) === 'int8') {
    parts.push(`<rect x="${LABEL_W}" y="${px(y + 2)}" width="${px(w)}" height="${ROW_H - 4}" fill="url(#int8)" pointer-events="none"/>`);
  }
  if (row.p90Ms !== undefined) {
    const x90 = LABEL_W + row.p90Ms * scale;
    parts.push(`<line x1="${px(x90)}" y1="${px(y + 4)}" x2="${px(x90)}" y2="${px(y + ROW_H - 4)}" stroke="#111827" stroke-width="1.5"/>`);
  }
  const ratio = row.role === 'ours' || row.oursOverThis === undefined ? '' : `  ours/this ${row.oursOverThis.toFixed(2)}×`;
  const value = `${row.p50Ms >= 100 ? row.p50Ms.toFixed(0) : row.p50Ms.toFixed(1)} ms${ratio}`;
  parts.push(text(LABEL_W + Math.max(w, (row.p90Ms ?? 0) * scale) + 6, y + 13, value, 'font-size="12" fill="#111827"'));
  return parts;
}

/** The chart of `result` as an SVG document. */
export function renderChartSvg(result: BenchResult): string {
  const parts: string[] = [];
  let y = 28;
  parts.push(text(16, y, 'Inception networks, batch 1: median latency (ms, lower is better; tick = p90)', 'font-size="16" font-weight="600" fill="#111827"'));
  y += 20;
  const m = result.machine;
  parts.push(text(16, y, `${m.cpu}, ${m.cores} cores, Node ${m.node}${m.browser ? `, ${m.browser.split(' (')[0]}` : ''}; ${result.startedAt.slice(0, 10)}; load avg ${m.loadAvgStart[0].toFixed(1)}`, 'font-size="12" fill="#4b5563"'));
  y += 18;
  let x = 16;
  for (const id of RUNTIME_ORDER.filter((r) => result.rows.some((row) => row.runtime === r))) {
    parts.push(`<rect x="${x}" y="${y}" width="12" height="12" fill="${COLOURS[id]}"/>`);
    parts.push(text(x + 16, y + 10, RUNTIMES[id].label, 'font-size="12" fill="#111827"'));
    x += 30 + RUNTIMES[id].label.length * 6.6;
  }
  y += 24;
  for (const net of result.networks) {
    const rows = result.rows.filter((r) => r.model === net.model && r.inputSize === net.inputSize)
      .sort((a, b) => rowPlatform(a).localeCompare(rowPlatform(b)) || PRECISIONS.indexOf(rowPrecision(a)) - PRECISIONS.indexOf(rowPrecision(b)) ||
        a.threads - b.threads || RUNTIME_ORDER.indexOf(a.runtime) - RUNTIME_ORDER.indexOf(b.runtime));
    const longest = Math.max(1, ...rows.map((r) => r.p90Ms ?? r.p50Ms ?? 0));
    const scale = BAR_MAX / longest;
    parts.push(text(16, y + 14, `${net.model} ${net.inputSize}×${net.inputSize} · ${(net.macs / 1e9).toFixed(2)} GMACs`, 'font-size="13" font-weight="600" fill="#111827"'));
    y += 22;
    const group = (r: BenchRow | undefined) => (r ? `${rowPlatform(r)} ${rowPrecision(r)} ${r.threads}` : '');
    let last = group(rows[0]);
    for (const row of rows) {
      if (group(row) !== last) y += 6;
      last = group(row);
      parts.push(...barRow(row, y, scale));
      y += ROW_H;
    }
    y += 14;
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${px(y)}" viewBox="0 0 ${WIDTH} ${px(y)}" ${FONT}>\n` +
    `<defs><pattern id="int8" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">` +
    `<line x1="0" y1="0" x2="0" y2="6" stroke="#ffffff" stroke-width="2" stroke-opacity="0.6"/></pattern></defs>\n` +
    `<rect width="100%" height="100%" fill="#ffffff"/>\n${parts.join('\n')}\n</svg>\n`
  );
}
