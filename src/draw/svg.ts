/**
 * Minimal SVG writing: XML escaping, text widths for a monospace font (so box widths follow label
 * lengths without font metrics), one palette per op kind, and a builder that collects elements
 * and emits a standalone, well-formed SVG document. No DOM, no browser, no native dependency.
 */

import type { OpKind } from './ops.js';

export const FONT_FAMILY = 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace';
/** Advance of one monospace character as a fraction of the font size (≈ 0.6 for common monospace faces). */
const CHAR_WIDTH_EM = 0.62;

/** Escapes the five XML special characters for text content and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** Width in px of `text` in the monospace font at `fontSize`. */
export function textWidth(text: string, fontSize: number): number {
  return [...text].length * fontSize * CHAR_WIDTH_EM;
}

/** Rounds a coordinate to 0.1 px so the output is short and stable. */
export function px(v: number): string {
  return String(Math.round(v * 10) / 10);
}

export interface Palette {
  fill: string;
  stroke: string;
  /** Legend text. */
  name: string;
  dashed?: boolean;
}

export const PALETTE: Record<OpKind, Palette> = {
  input: { fill: '#f3f4f6', stroke: '#6b7280', name: 'input / output' },
  conv1x1: { fill: '#dbeafe', stroke: '#2563eb', name: '1×1 conv' },
  conv: { fill: '#bfdbfe', stroke: '#1d4ed8', name: 'k×k conv' },
  convAsym: { fill: '#ccfbf1', stroke: '#0f766e', name: '1×n / n×1 conv' },
  convLinear: { fill: '#e0e7ff', stroke: '#4338ca', name: 'conv, no activation', dashed: true },
  depthwise: { fill: '#ede9fe', stroke: '#6d28d9', name: 'depthwise conv' },
  maxPool: { fill: '#fde68a', stroke: '#b45309', name: 'max pool' },
  avgPool: { fill: '#fed7aa', stroke: '#c2410c', name: 'avg pool' },
  concat: { fill: '#e5e7eb', stroke: '#374151', name: 'concat' },
  residual: { fill: '#fecdd3', stroke: '#be123c', name: 'scaled residual add' },
  head: { fill: '#d1fae5', stroke: '#047857', name: 'head' },
  other: { fill: '#f5f5f4', stroke: '#57534e', name: 'other' },
};

/** Collects SVG elements; `toString` wraps them in a document of the final size. */
export class Svg {
  private readonly parts: string[] = [];

  /** A rectangle with optional rounded corners, dashes and a hover title. */
  rect(x: number, y: number, w: number, h: number, style: { fill: string; stroke: string; dashed?: boolean; rx?: number; title?: string; cls?: string }): void {
    const dash = style.dashed ? ' stroke-dasharray="4 3"' : '';
    const cls = style.cls ? ` class="${escapeXml(style.cls)}"` : '';
    const attrs = `x="${px(x)}" y="${px(y)}" width="${px(w)}" height="${px(h)}" rx="${style.rx ?? 4}" fill="${style.fill}" stroke="${style.stroke}"${dash}${cls}`;
    this.parts.push(style.title ? `<rect ${attrs}><title>${escapeXml(style.title)}</title></rect>` : `<rect ${attrs}/>`);
  }

  /** Text anchored at (x, baseline y); `anchor` start | middle | end. */
  text(x: number, y: number, content: string, opts: { size?: number; anchor?: 'start' | 'middle' | 'end'; weight?: 'bold'; fill?: string; cls?: string } = {}): void {
    const size = opts.size ?? 12;
    const anchor = opts.anchor ?? 'middle';
    const weight = opts.weight ? ` font-weight="${opts.weight}"` : '';
    const cls = opts.cls ? ` class="${escapeXml(opts.cls)}"` : '';
    this.parts.push(
      `<text x="${px(x)}" y="${px(y)}" font-size="${size}" text-anchor="${anchor}"${weight} fill="${opts.fill ?? '#111827'}"${cls}>${escapeXml(content)}</text>`,
    );
  }

  /** A polyline through `points` with an arrow head at the end when `arrow`. */
  path(points: readonly (readonly [number, number])[], opts: { stroke?: string; arrow?: boolean; cls?: string; width?: number } = {}): void {
    const d = points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${px(x)} ${px(y)}`).join(' ');
    const marker = opts.arrow === false ? '' : ' marker-end="url(#arrow)"';
    const cls = opts.cls ? ` class="${escapeXml(opts.cls)}"` : '';
    this.parts.push(`<path d="${d}" fill="none" stroke="${opts.stroke ?? '#4b5563'}" stroke-width="${opts.width ?? 1.2}"${marker}${cls}/>`);
  }

  /** The document: `width`×`height` px, white background, an arrow-head marker, then the elements. */
  toString(width: number, height: number, title: string): string {
    return [
      '<?xml version="1.0" encoding="UTF-8"?>',
      `<svg xmlns="http://www.w3.org/2000/svg" width="${px(width)}" height="${px(height)}" viewBox="0 0 ${px(width)} ${px(height)}" font-family="${FONT_FAMILY}">`,
      `<title>${escapeXml(title)}</title>`,
      '<defs><marker id="arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="7" markerHeight="7" orient="auto-start-reverse">' +
        '<path d="M0 0 L8 4 L0 8 z" fill="#4b5563"/></marker></defs>',
      `<rect x="0" y="0" width="${px(width)}" height="${px(height)}" fill="#ffffff"/>`,
      ...this.parts,
      '</svg>',
      '',
    ].join('\n');
  }
}

/** Draws a legend of `kinds` as swatches in rows no wider than `maxWidth`, from (x, y); returns its height. */
export function legend(svg: Svg, kinds: readonly OpKind[], x: number, y: number, maxWidth: number): number {
  const size = 11;
  let cx = x;
  let cy = y;
  for (const kind of kinds) {
    const p = PALETTE[kind];
    const w = 14 + 6 + textWidth(p.name, size) + 16;
    if (cx + w > x + maxWidth && cx > x) {
      cx = x;
      cy += 18;
    }
    svg.rect(cx, cy, 14, 12, { fill: p.fill, stroke: p.stroke, dashed: p.dashed, rx: 2 });
    svg.text(cx + 20, cy + 10, p.name, { size, anchor: 'start', fill: '#374151' });
    cx += w;
  }
  return cy - y + 18;
}
