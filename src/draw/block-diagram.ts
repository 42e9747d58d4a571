/**
 * A block drawn as the papers draw it: the block input as a wide box at the top, the branches side
 * by side in concat order (each op a box labelled `1×1 conv 64`, `3×3 max pool s1`…), the concat
 * as a wide box under them, then what follows the concat (an Inception-ResNet block's linear 1×1
 * up-projection and the scaled residual add, with the skip path drawn down the right side).
 *
 * Layout: one column per concat input ("leaf"); an op shared by several leaves (InceptionE's 1×1
 * before its 1×3 | 3×1 split) is centred over their columns; rows are the longest path from the
 * block input, so every branch starts right under the input and the concat sits under the longest
 * branch. Column widths follow label lengths.
 */

import { nodeCost } from '../graph/cost.js';
import type { Graph } from '../graph/graph.js';
import { extractBlock, subBlocks, type Block } from './block.js';
import { formatHWC, type OpKind } from './ops.js';
import { PALETTE, Svg, legend, textWidth } from './svg.js';

const FONT = 12;
const BOX_H = 26;
const LABEL_PAD = 10;
const MIN_BOX_W = 64;
const ROW_GAP = 26;
const COL_GAP = 18;
const MARGIN = 20;
const HEADER_H = 50;
const SKIP_LANE = 34;

export interface BlockDiagramOptions {
  /** First title line (default: the block name). */
  title?: string;
  /** Words after the block name in the title, e.g. `googlenet (torchvision)`. */
  context?: string;
}

interface Placed {
  x: number;
  y: number;
  w: number;
}

/** Formats a count as `1.23 M` / `456.7 K` / `12` for captions. */
export function formatCount(n: number, unit = ''): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G${unit}`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} M${unit}`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} K${unit}`;
  return `${n}${unit ? ` ${unit}` : ''}`;
}

function boxWidth(label: string): number {
  return Math.max(MIN_BOX_W, Math.ceil(textWidth(label, FONT) + 2 * LABEL_PAD));
}

/** For each op, the leaf columns it leads to (an op shared by several branches leads to several). */
function columnsOf(block: Block): Map<number, number[]> {
  const cols = new Map<number, number[]>();
  block.leaves.forEach((leaf, j) => {
    const stack = [leaf];
    const seen = new Set<number>();
    while (stack.length > 0) {
      const i = stack.pop()!;
      if (seen.has(i)) continue;
      seen.add(i);
      if (block.ops[i]!.kind === 'input') continue;
      const list = cols.get(i) ?? [];
      if (!list.includes(j)) list.push(j);
      cols.set(i, list);
      stack.push(...block.ops[i]!.inputs);
    }
  });
  return cols;
}

/** Rows: the longest path from an input op (inputs on row 0). */
function rowsOf(block: Block): number[] {
  const rows = block.ops.map(() => 0);
  for (const op of block.ops) {
    if (op.kind === 'input') continue;
    rows[op.index] = 1 + Math.max(...op.inputs.map((i) => rows[i]!));
  }
  return rows;
}

/**
 * Renders block `name` of `g` as a standalone SVG document. A module with numbered children
 * (`repeat`) is drawn as its first child, the title saying how many there are. Throws a
 * GraphError naming the block when no node carries its name.
 */
export function renderBlockDiagram(g: Graph, name: string, options: BlockDiagramOptions = {}): string {
  const block = extractBlock(g, name);
  const children = block.name !== name ? subBlocks(g, name) : [];
  const { ops } = block;
  const cols = columnsOf(block);
  const rows = rowsOf(block);
  const nCols = block.leaves.length;
  const wide = (i: number) => (ops[i]!.kind === 'input' && block.inputs.length === 1) || i === block.concat;

  // Column widths from the single-column ops, then widened where a shared op needs more room.
  const colW = new Array<number>(nCols).fill(MIN_BOX_W);
  for (const [i, c] of cols) if (c.length === 1 && !wide(i)) colW[c[0]!] = Math.max(colW[c[0]!]!, boxWidth(ops[i]!.label));
  for (const [i, c] of cols) {
    if (c.length < 2 || wide(i)) continue;
    const lo = Math.min(...c);
    const hi = Math.max(...c);
    const span = colW.slice(lo, hi + 1).reduce((a, b) => a + b, 0) + (hi - lo) * COL_GAP;
    const deficit = boxWidth(ops[i]!.label) - span;
    if (deficit > 0) for (let j = lo; j <= hi; j++) colW[j]! += deficit / (hi - lo + 1);
  }
  const colX: number[] = [];
  let cursor = MARGIN;
  for (const w of colW) {
    colX.push(cursor);
    cursor += w + COL_GAP;
  }
  let contentW = cursor - COL_GAP - MARGIN;
  const tailW = Math.max(0, ...block.tailOps.map((i) => boxWidth(ops[i]!.label)), ...block.inputs.map((i) => boxWidth(ops[i]!.label)));
  if (tailW > contentW) {
    // A narrow single-branch block with a long tail label: centre the columns.
    const shift = (tailW - contentW) / 2;
    for (let j = 0; j < colX.length; j++) colX[j]! += shift;
    contentW = tailW;
  }
  const centre = MARGIN + contentW / 2;
  const rowY = (r: number) => MARGIN + HEADER_H + r * (BOX_H + ROW_GAP);

  const placed = new Map<number, Placed>();
  block.inputs.forEach((i, k) => {
    if (block.inputs.length === 1) placed.set(i, { x: MARGIN, y: rowY(0), w: contentW });
    else {
      const slot = contentW / block.inputs.length;
      const w = Math.min(boxWidth(ops[i]!.label), slot - COL_GAP);
      placed.set(i, { x: MARGIN + slot * k + (slot - w) / 2, y: rowY(0), w });
    }
  });
  for (const [i, c] of cols) {
    if (i === block.concat) continue;
    const lo = Math.min(...c);
    const hi = Math.max(...c);
    const mid = (colX[lo]! + colX[hi]! + colW[hi]!) / 2;
    const w = c.length === 1 ? colW[lo]! : boxWidth(ops[i]!.label);
    placed.set(i, { x: mid - w / 2, y: rowY(rows[i]!), w });
  }
  if (block.concat !== undefined) placed.set(block.concat, { x: MARGIN, y: rowY(rows[block.concat]!), w: contentW });
  for (const i of block.tailOps) {
    const w = boxWidth(ops[i]!.label);
    placed.set(i, { x: centre - w / 2, y: rowY(rows[i]!), w });
  }

  const hasSkip = block.tailOps.some((i) => ops[i]!.inputs.some((s) => ops[s]!.kind === 'input'));
  const svg = new Svg();
  const cx = (p: Placed) => p.x + p.w / 2;

  // Edges first, so boxes cover their ends.
  for (const op of ops) {
    const t = placed.get(op.index)!;
    for (const s of op.inputs) {
      const from = placed.get(s)!;
      if (ops[s]!.kind === 'input' && block.tailOps.includes(op.index)) {
        const lane = MARGIN + contentW + SKIP_LANE / 2 + 4;
        const yFrom = from.y + BOX_H / 2;
        const yTo = t.y + BOX_H / 2;
        svg.path([[from.x + from.w, yFrom], [lane, yFrom], [lane, yTo], [t.x + t.w, yTo]], { cls: 'residual', stroke: PALETTE.residual.stroke });
        svg.text(lane + 4, (yFrom + yTo) / 2, 'identity', { size: 10, anchor: 'start', fill: PALETTE.residual.stroke });
        continue;
      }
      const sy = from.y + BOX_H;
      const ty = t.y;
      const tx = cx(t);
      const sx = cx(from);
      if (tx > from.x + 6 && tx < from.x + from.w - 6) svg.path([[tx, sy], [tx, ty]]);
      else if (sx > t.x + 6 && sx < t.x + t.w - 6) svg.path([[sx, sy], [sx, ty]]);
      else svg.path([[sx, sy], [sx, ty - ROW_GAP / 2], [tx, ty - ROW_GAP / 2], [tx, ty]]);
    }
  }
  const kinds = new Set<OpKind>();
  for (const op of ops) {
    const p = placed.get(op.index)!;
    const pal = PALETTE[op.kind];
    kinds.add(op.kind);
    const title = `${op.nodes.map((n) => n.name).join(' → ')} [${op.shape.join(', ')}]`;
    svg.rect(p.x, p.y, p.w, BOX_H, { fill: pal.fill, stroke: pal.stroke, dashed: pal.dashed, title, cls: `op ${op.kind}` });
    svg.text(cx(p), p.y + BOX_H / 2 + FONT * 0.35, op.label, { size: FONT, cls: 'label' });
  }

  const lastRow = Math.max(...rows);
  let height = rowY(lastRow) + BOX_H + 18;
  let width = MARGIN + contentW + (hasSkip ? SKIP_LANE + 40 : 0) + MARGIN;
  const ids = ops.filter((o) => o.kind !== 'input').flatMap((o) => o.nodes);
  const cost = ids.reduce((acc, n) => { const c = nodeCost(g, n); return { params: acc.params + c.params, macs: acc.macs + c.macs }; }, { params: 0, macs: 0 });
  const inShape = block.inputs.map((i) => formatHWC(ops[i]!.shape)).join(', ');
  const title = options.title ??
    (children.length > 1 ? `${block.name} (first of ${children.length}: ${children[0]} … ${children[children.length - 1]})` : block.name);
  const heading = options.context ? `${title} — ${options.context}` : title;
  const caption = `${inShape} → ${formatHWC(ops[block.output]!.shape)} · ${formatCount(cost.macs)} MACs · ${formatCount(cost.params)} params`;
  width = Math.max(width, MARGIN * 2 + textWidth(heading, 14), MARGIN * 2 + textWidth(caption, 11));
  svg.text(MARGIN, MARGIN + 14, heading, { size: 14, anchor: 'start', weight: 'bold', cls: 'title' });
  svg.text(MARGIN, MARGIN + 32, caption, { size: 11, anchor: 'start', fill: '#4b5563', cls: 'caption' });
  kinds.delete('input');
  height += legend(svg, [...kinds], MARGIN, height, width - 2 * MARGIN) + MARGIN - 8;
  return svg.toString(width, height, heading);
}
