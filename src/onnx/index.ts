/**
 * ONNX ⇄ Graph: `importOnnx` / `importOnnxBytes` (import.ts) and `exportOnnx` (export.ts).
 * The protobuf codec (protobuf.ts, onnx-proto.ts) is internal.
 */
export {
  importOnnx, importOnnxBytes, OnnxFormatError, OnnxImportError, SUPPORTED_OPS,
  type ImportedOnnx, type OnnxBytesImportOptions, type OnnxImportOptions, type OnnxLayout, type OnnxTensorInfo,
} from './import.js';
export { EXPORT_IR_VERSION, EXPORT_OPSET, exportOnnx, graphToOnnxModel, OnnxExportError } from './export.js';
export type { ExternalDataReader } from './tensor.js';
