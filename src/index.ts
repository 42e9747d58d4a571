/**
 * inception-wasm: the Inception family of image networks on the CPU, in WebAssembly.
 *
 *   import { createSession } from 'inception-wasm';
 *   const session = await createSession({ model: 'inception_v3', weights, threads: 0 });
 *   const { logits, shape } = await session.run(nchwFloat32);   // [1, 1000]
 *   await session.dispose();
 */
export { createSession } from './session.js';
export type {
  CalibrationOptions, Layout, Precision, ProfileOptions, RunOptions, RunResult, Session, SessionInfo, SessionOptions, TensorInfo, TensorLayout,
} from './session.js';
export { features } from './bindings/features.js';
export type { Features } from './bindings/features.js';
export { MODELS, buildNetwork, variantInfo } from './inception/models.js';
export type { BuildOptions, ModelName } from './inception/models.js';
export { seededWeights, seededInputNCHW } from './inception/seeded-weights.js';
export { graphCost } from './graph/cost.js';
export { Graph, GraphError } from './graph/graph.js';
export type { StepProfile } from './bindings/executor.js';
export { importTfjs, TfjsImportError } from './tfjs/import.js';
export type { TfjsImport, TfjsImportOptions, TfjsSource } from './tfjs/import.js';
export { exportGraphModel, GraphModelExportError, GRAPH_MODEL_SHARD } from './tfjs/export-graph-model.js';
export type { GraphModelArtifacts } from './tfjs/export-graph-model.js';
export { loadImage, decodeImage, preprocess, preprocessBatch, PRESETS } from './image/index.js';
export { IMAGENET_CLASSES, imagenetLabels, topK, softmax } from './labels/index.js';
export { importOnnx, importOnnxBytes, exportOnnx } from './onnx/index.js';
export { inspectModel, InspectError } from './inspect/index.js';
export type { InspectReport, ModelFormat, Dim, TensorSummary, OpCount, Parameters, DtypeBytes, ExternalFile, ExternalStatus, UnsupportedOp } from './inspect/index.js';
