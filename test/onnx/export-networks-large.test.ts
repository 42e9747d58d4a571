/**
 * The heavier networks of the export round trip (see export-networks.test.ts): 75x75 keeps the
 * activations small; the weights (100–220 MB of ONNX each) dominate the ~20 s this file takes.
 */
import { describe } from 'vitest';
import { networkRoundTrips } from './helpers.js';

describe('export → onnxruntime and → re-import (large networks)', () => {
  networkRoundTrips([
    ['inception_v4', undefined, 75],
    ['inception_resnet_v1', undefined, 75],
    ['inception_resnet_v2', undefined, 75],
  ]);
});
