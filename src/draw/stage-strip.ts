/**
 * The whole network as a strip of stages, top to bottom: input → stem layers → blocks (grouped
 * "× n") → head, each row with what it does, its output shape and its share of the MACs as a bar.
 */

import type { Graph } from '../graph/graph.js';
import { formatCount } from './block-diagram.js';
import { formatHWC } from './ops.js';
import { stageUnits, type StageUnit } from './stages.js';
import { PALETTE, Svg, textWidth } from './svg.js';

const FONT = 12;
const ROW_H = 26;
const ROW_GAP = 12;
const MARGIN = 20;
const HEADER_H = 70;
const CELL_PAD = 10;
const BAR_W = 110;

export interface StageStripOptions {
  /** Title (default: 'network'). */
  title?: string;
}

/** Renders the stage strip of `g` as a standalone SVG document. */
export function renderStageStrip(g: Graph, options: StageStripOptions = {}): string {
  const units = stageUnits(g);
  const totalMacs = units.reduce((s, u) => s + u.macs, 0);
  const totalParams = units.reduce((s, u) => s + u.params, 0);
  const input = g.node(g.inputs[0]!);
  const inputRow: StageUnit = {
    stages: [], title: input.name, repeats: 1, kind: 'layer', label: 'image', opKind: 'input',
    shape: input.shape, params: 0, macs: 0,
  };
  const rows = [inputRow, ...units];
  const repeatText = (u: StageUnit) => (u.repeats > 1 ? `× ${u.repeats}` : '');
  const col = (texts: string[], bold = false) => Math.ceil(Math.max(...texts.map((t) => textWidth(t, FONT) * (bold ? 1.05 : 1)))) + 2 * CELL_PAD;
  const nameW = col(rows.map((r) => r.title), true);
  const repW = Math.max(44, col(rows.map(repeatText)));
  const labelW = col(rows.map((r) => r.label));
  const shapeW = col([...rows.map((r) => formatHWC(r.shape)), 'output']);
  const macW = BAR_W + col(['100.0%']);
  const x0 = MARGIN;
  const xRep = x0 + nameW;
  const xLabel = xRep + repW;
  const xShape = xLabel + labelW;
  const xMac = xShape + shapeW;
  const rowsW = xMac + macW - x0;

  const svg = new Svg();
  const title = options.title ?? 'network';
  const caption = `${formatCount(totalParams)} params · ${formatCount(totalMacs)} MACs (conv + fc) · blocks of the same structure grouped "× n"`;
  svg.text(x0, MARGIN + 14, title, { size: 14, anchor: 'start', weight: 'bold', cls: 'title' });
  svg.text(x0, MARGIN + 32, caption, { size: 11, anchor: 'start', fill: '#4b5563', cls: 'caption' });
  const headY = MARGIN + HEADER_H - 10;
  for (const [x, text] of [[x0, 'stage'], [xLabel, 'what it does'], [xShape, 'output'], [xMac, 'share of MACs']] as const) {
    svg.text(x + CELL_PAD, headY, text, { size: 11, anchor: 'start', fill: '#6b7280' });
  }

  rows.forEach((row, i) => {
    const y = MARGIN + HEADER_H + i * (ROW_H + ROW_GAP);
    const pal = PALETTE[row.opKind];
    const baseline = y + ROW_H / 2 + FONT * 0.35;
    if (i > 0) svg.path([[x0 + 22, y - ROW_GAP], [x0 + 22, y]]);
    const tooltip = row.stages.length > 0 ? `${row.stages.join(', ')}: ${row.params.toLocaleString('en')} params, ${row.macs.toLocaleString('en')} MACs` : 'network input';
    svg.rect(x0, y, rowsW, ROW_H, { fill: pal.fill, stroke: pal.stroke, dashed: pal.dashed, title: tooltip, cls: `stage ${row.kind}` });
    svg.text(x0 + CELL_PAD, baseline, row.title, { size: FONT, anchor: 'start', weight: 'bold', cls: 'stage-name' });
    if (row.repeats > 1) svg.text(xRep + CELL_PAD, baseline, repeatText(row), { size: FONT, anchor: 'start', weight: 'bold', fill: '#be123c', cls: 'repeats' });
    svg.text(xLabel + CELL_PAD, baseline, row.label, { size: FONT, anchor: 'start', cls: 'label' });
    svg.text(xShape + CELL_PAD, baseline, formatHWC(row.shape), { size: FONT, anchor: 'start', cls: 'shape' });
    if (row.stages.length > 0 && totalMacs > 0) {
      const share = row.macs / totalMacs;
      svg.rect(xMac + CELL_PAD, y + 7, Math.max(1, BAR_W * share / maxShare(units, totalMacs)), ROW_H - 14, { fill: '#6b7280', stroke: 'none', rx: 1 });
      svg.text(xMac + CELL_PAD + BAR_W + 6, baseline, `${(share * 100).toFixed(1)}%`, { size: 11, anchor: 'start', fill: '#374151', cls: 'share' });
    }
  });
  const width = Math.max(x0 + rowsW + MARGIN, 2 * MARGIN + textWidth(caption, 11), 2 * MARGIN + textWidth(title, 14));
  const height = MARGIN + HEADER_H + rows.length * (ROW_H + ROW_GAP) - ROW_GAP + MARGIN;
  return svg.toString(width, height, title);
}

/** The largest unit share, so the longest bar fills the bar column. */
function maxShare(units: readonly StageUnit[], totalMacs: number): number {
  return Math.max(...units.map((u) => u.macs / totalMacs), 1e-9);
}
