/** Printing bench results: markdown tables and the number formats every script shares. */
import type { PairedRatio, TimeStats } from './stats.js';

/** A markdown table; `right` marks the columns (by index) aligned right. A `|` inside a cell is escaped. */
export function markdownTable(head: readonly string[], rows: readonly (readonly string[])[], right: readonly number[] = []): string {
  const line = (cells: readonly string[]) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(head), `|${head.map((_, i) => (right.includes(i) ? '---:' : '---')).join('|')}|`, ...rows.map(line)].join('\n');
}

/** Milliseconds with a precision that suits their size. */
export function ms(x: number): string {
  if (!Number.isFinite(x)) return '—';
  return x.toFixed(x >= 100 ? 0 : x >= 10 ? 1 : 2);
}

/** `median (p10–p90, min)` of one variant's times. */
export function timeCell(s: TimeStats): string {
  return s.n === 0 ? '—' : `${ms(s.median)} (${ms(s.p10)}–${ms(s.p90)}, min ${ms(s.min)})`;
}

/** `0.912 [0.884, 0.951]`: a paired ratio and its interval. */
export function ratioCell(p: PairedRatio | undefined): string {
  return p === undefined ? '—' : `${p.median.toFixed(3)} [${p.lo.toFixed(3)}, ${p.hi.toFixed(3)}]`;
}

/** Progress lines on stderr when it is a terminal (kept out of piped output and test logs). */
export const progress: (line: string) => void = process.stderr.isTTY ? (line) => process.stderr.write(`${line}\n`) : () => undefined;
