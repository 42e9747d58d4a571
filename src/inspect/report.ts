/**
 * What `inspectModel` reports about a model file, read without building a session: plain data,
 * the same for the API, the command line's text and its `--json`.
 */

export type ModelFormat = 'onnx' | 'tfjs-layers' | 'tfjs-graph';

/**
 * One dimension of a declared shape: a number when fixed; a string when free — the file's own
 * name for it (ONNX `dim_param`) or '?' when the file leaves it unnamed (ONNX neither value nor
 * name, TF.js `null` or -1).
 */
export type Dim = number | string;

export interface TensorSummary {
  name: string;
  /** Element type as the file names it ('FLOAT', 'float32'), or '?' when not declared. */
  dtype: string;
  /** Undefined when the file declares no shape (rank unknown). */
  shape?: Dim[];
}

export interface OpCount {
  op: string;
  count: number;
}

export interface DtypeBytes {
  dtype: string;
  /** Elements stored with this type. */
  elements: number;
  /** Bytes they take in the file (quantised weights: their stored bytes); undefined when unknown (strings). */
  bytes?: number;
}

export interface Parameters {
  /**
   * Trainable values the engine would hold: conv / fully-connected weights and biases, BN scale and
   * shift, counted once per use (a shared tensor becomes one copy per use) — `graphCost().params`
   * of the imported graph. Scalars (residual scales, clip bounds) and integer tensors (shapes) are
   * constants, not parameters.
   */
  count: number;
  /** BN running mean and variance (buffers, not parameters): `graphCost().bnStats`. */
  bnStats: number;
  /** Every stored tensor (initializers, constants, manifest weights) by element type. */
  byDtype: DtypeBytes[];
  /** Sum of `byDtype` bytes (the known ones). */
  bytes: number;
}

/**
 * A file the model names. `inside`: the path is a relative path that stays, link by link, inside
 * the model's folder; an outside path is never opened, and its size is not reported.
 */
export type ExternalStatus =
  | 'ok'
  /** Inside, present, but not the size the model needs (`expectedBytes`, `size`). */
  | 'wrong-size'
  /** Inside, but not in the folder. */
  | 'missing'
  /** The path escapes the folder (absolute, `..`, a link out), or is not a valid relative path. */
  | 'outside'
  /** Inside and present but not a regular readable file (a directory, FIFO, device, no permission). */
  | 'unreadable'
  /** The model was given as bytes: there is no folder to look in. */
  | 'not-checked';

export interface ExternalFile {
  /** The path as the model writes it. */
  path: string;
  /** What names it: `initializer 'w'` (and how many more), `weightsManifest[0].paths[1]`. */
  referencedBy: string;
  status: ExternalStatus;
  /** fstat size; only for a file inside the folder. */
  size?: number;
  /**
   * Bytes the model needs from it (ONNX: the end of the last tensor it holds; TF.js: the whole
   * group's bytes, which its shards share — see `group`).
   */
  expectedBytes?: number;
  /** TF.js: the manifest group the shard belongs to (a group's shards are checked together). */
  group?: number;
  /** Why it is not 'ok', in words. */
  detail?: string;
}

export interface UnsupportedOp {
  op: string;
  /** The node's name as import errors name it (ONNX: `<opType>_<index>` when the node has none). */
  node: string;
  /** ONNX: a domain other than the default one. */
  domain?: string;
  /** Why, when the op is supported in some other use (ONNX: on constants and shapes only). */
  reason?: string;
}

export interface InspectReport {
  /** The path given, or undefined when bytes were. */
  file?: string;
  format: ModelFormat;
  /** Who wrote the file: ONNX producer name and version; TF.js generatedBy / convertedBy / keras_version. */
  producer: string;
  /** ONNX: the ai.onnx opset imported (undefined when the file imports none). */
  opset?: number;
  /** ONNX: IR version. */
  irVersion?: number;
  inputs: TensorSummary[];
  outputs: TensorSummary[];
  /** Op (ONNX op type, Keras layer class, GraphDef op) → node count, most frequent first. */
  ops: OpCount[];
  /** Nodes in the file. */
  nodes: number;
  /** ONNX nodes that lead to no graph output: the importer skips them, so they are not checked. */
  unusedNodes: number;
  parameters: Parameters;
  externalFiles: ExternalFile[];
  /**
   * Whether the op support verdict below was computed: false when no importer table exists for
   * the format (then `unsupported` is empty and `notes` says why).
   */
  supportChecked: boolean;
  /** Every node (that the importer would read) whose op it does not support, in file order. */
  unsupported: UnsupportedOp[];
  /** Other findings, in words (a config part that could not be read, why support was not checked). */
  notes: string[];
}

/** Op → count, most frequent first (ties by name). */
export function histogram(ops: Iterable<string>): OpCount[] {
  const counts = new Map<string, number>();
  for (const op of ops) counts.set(op, (counts.get(op) ?? 0) + 1);
  return [...counts].map(([op, count]) => ({ op, count })).sort((a, b) => b.count - a.count || (a.op < b.op ? -1 : a.op > b.op ? 1 : 0));
}
