/** Image input: decode (JPEG/PNG/pixels), resize and crop, normalise to the NCHW tensor a session takes. */
export { decodeImage, fromPixels, sniffFormat, jpegDimensions, pngHeader, inspectImage, ImageDecodeError, DEFAULT_MAX_MEMORY_MB, DEFAULT_MAX_RESOLUTION_MP } from './decode.js';
export type { DecodeOptions, HeaderLimits, ImageDecodeReason, ImageFormat, ImageHeader, PixelsLike, RgbImage } from './decode.js';
export { checkImageFile, loadImage } from './load.js';
export { applyResizePlan, planResize, resizeImage, roundHalfEven } from './resize.js';
export type { Coordinates, CropMode, FloatRgbImage, ResizeOptions, ResizePlan } from './resize.js';
export { IMAGENET_MEAN, IMAGENET_STD, PRESETS, PRESET_NAMES, preprocess, preprocessBatch, presetOf } from './preprocess.js';
export type { Normalization, PreprocessOptions, PresetName } from './preprocess.js';
