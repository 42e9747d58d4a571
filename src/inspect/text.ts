/** The report as the command line prints it without `--json`. */
import { assertNever } from '../util/assert-never.js';
import type { Dim, ExternalFile, InspectReport, ModelFormat, TensorSummary } from './report.js';

const int = (n: number) => n.toLocaleString('en');

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) (v /= 1024), u++;
  return `${v.toFixed(1)} ${units[u]}`;
}

function formatName(f: ModelFormat): string {
  switch (f) {
    case 'onnx': return 'ONNX';
    case 'tfjs-layers': return 'TF.js layers model (Keras)';
    case 'tfjs-graph': return 'TF.js graph model';
    default: return assertNever(f, 'model format');
  }
}

const shape = (s: readonly Dim[] | undefined) => (s === undefined ? 'shape not declared' : `[${s.join(', ')}]`);
const tensor = (t: TensorSummary) => `  ${t.name}  ${t.dtype} ${shape(t.shape)}`;

function external(f: ExternalFile): string {
  const where = `  ${f.path}  (${f.referencedBy})`;
  switch (f.status) {
    case 'ok': return `${where}: inside, present, ${int(f.size!)} bytes`;
    case 'wrong-size': return `${where}: inside, WRONG SIZE: ${f.detail}`;
    case 'missing': return `${where}: MISSING from the model folder${f.expectedBytes !== undefined ? ` (needs ${int(f.expectedBytes)} bytes)` : ''}`;
    case 'outside': return `${where}: OUTSIDE the model folder (${f.detail?.replace(/^outside the model folder: /, '')}); never read`;
    case 'unreadable': return `${where}: UNREADABLE: ${f.detail}`;
    case 'not-checked': return `${where}: not checked (${f.detail})`;
    default: return assertNever(f.status, 'external file status');
  }
}

export function formatReport(r: InspectReport): string {
  const lines: string[] = [];
  const version = r.format === 'onnx' ? ` (opset ${r.opset ?? 'none'}, IR ${r.irVersion})` : '';
  lines.push(`${r.file ?? '(bytes)'}: ${formatName(r.format)}${version}${r.producer ? `, written by ${r.producer}` : ''}`);
  lines.push('inputs:', ...(r.inputs.length > 0 ? r.inputs.map(tensor) : ['  none declared']));
  lines.push('outputs:', ...(r.outputs.length > 0 ? r.outputs.map(tensor) : ['  none declared']));
  const unused = r.unusedNodes > 0 ? `; ${int(r.unusedNodes)} lead to no output and are skipped` : '';
  lines.push(`ops (${int(r.nodes)} nodes, ${r.ops.length} kinds${unused}):`);
  for (let i = 0; i < r.ops.length; i += 6) lines.push(`  ${r.ops.slice(i, i + 6).map((o) => `${o.op} ${o.count}`).join(', ')}`);
  const p = r.parameters;
  lines.push(`parameters: ${int(p.count)}${p.bnStats > 0 ? ` (+ ${int(p.bnStats)} BN statistics)` : ''}; stored ${bytes(p.bytes)}: ` +
    (p.byDtype.map((d) => `${d.dtype} ${int(d.elements)}${d.bytes !== undefined ? ` (${bytes(d.bytes)})` : ''}`).join(', ') || 'none'));
  lines.push(`external files:${r.externalFiles.length === 0 ? ' none' : ''}`, ...r.externalFiles.map(external));
  if (!r.supportChecked) lines.push('unsupported ops: not checked (see notes)');
  else if (r.unsupported.length === 0) lines.push('unsupported ops: none');
  else {
    lines.push(`unsupported ops (${r.unsupported.length}):`);
    for (const u of r.unsupported) lines.push(`  '${u.node}'  ${u.domain !== undefined ? `${u.domain}.` : ''}${u.op}${u.reason !== undefined ? `: ${u.reason}` : ''}`);
  }
  if (r.notes.length > 0) lines.push('notes:', ...r.notes.map((n) => `  ${n}`));
  return lines.join('\n');
}
