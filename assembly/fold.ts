// The BatchNorm fold shared by the weight-pack kernels (f32-pack.ts, the Winograd packs); not a kernel.
/**
 * The BatchNorm fold of one output channel (byte offset `oo` into the [outChannels] tensors):
 * writes b' = (bias − mean)·s + β (f64, rounded once; without BN b' = bias) to `biasOut` and
 * returns the weight scale s = γ / √(var + eps) (1 without BN). A tensor pointer 0 = absent:
 * bias 0, γ 1, β 0; without mean (0) there is no BN.
 */
// @ts-ignore: decorator
@inline export function foldBatchNorm(
  oo: usize, biasPtr: usize, gammaPtr: usize, betaPtr: usize, meanPtr: usize, varPtr: usize, eps: f64, biasOut: usize,
): f64 {
  const b: f64 = biasPtr != 0 ? <f64>load<f32>(biasPtr + oo) : 0;
  if (meanPtr == 0) {
    store<f32>(biasOut, <f32>b);
    return 1;
  }
  const gamma: f64 = gammaPtr != 0 ? <f64>load<f32>(gammaPtr + oo) : 1;
  const beta: f64 = betaPtr != 0 ? <f64>load<f32>(betaPtr + oo) : 0;
  const s = gamma / Math.sqrt(<f64>load<f32>(varPtr + oo) + eps);
  store<f32>(biasOut, <f32>((b - <f64>load<f32>(meanPtr + oo)) * s + beta));
  return s;
}
