/**
 * The keras.applications InceptionResNetV2 topology (no pretrained TF.js IRv2 is reachable
 * offline, so its layers are synthesised exactly as Keras builds them, with seeded weights):
 * - parameters = Keras's trainable count 55,813,192 (its total 55,873,736 less the 60,544
 *   BN moving statistics, which graphCost, like PyTorch, does not count);
 * - at 75×75 (Keras's minimum for this network) against @tensorflow/tfjs on the same artifacts,
 *   with tf.keras's `CustomScaleLayer` registered in tfjs: logits within 1e-4·std (importing with
 *   `logits: true`; tfjs's from the same artifacts with the final activation set to linear);
 * - the Keras 2.x `Lambda` residual form (the same model with each CustomScaleLayer serialised as
 *   Keras 2.2's Lambda) imports to the same graph and outputs, bit for bit.
 */
import { describe, expect, it } from 'vitest';
import { graphCost } from '../../src/graph/cost.js';
import { createSession } from '../../src/session.js';
import { importTfjs } from '../../src/tfjs/import.js';
import { randomArray } from '../helpers/kernel-env.js';
import { KerasFixture, loadInTfjs, runTfjs, type Artifacts } from './keras-fixture.js';
import { kerasInceptionResNetV2 } from './keras-inception-resnet-v2.js';

const SIZE = 75;

type LayerJson = { name: string; class_name: string; config: Record<string, unknown> };
const layersOf = (json: Artifacts['modelJson']) =>
  (json.modelTopology.model_config as { config: { layers: LayerJson[] } }).config.layers;

/** The Keras 2.x serialisation of the same model: each `CustomScaleLayer` becomes a `Lambda` (weights unchanged). */
function asLambdaForm(json: Artifacts['modelJson']): Artifacts['modelJson'] {
  const lambda = structuredClone(json);
  for (const l of layersOf(lambda)) {
    if (l.class_name !== 'CustomScaleLayer') continue;
    l.class_name = 'Lambda';
    l.config = { name: l.name, function: ['4wIAAAAAAAAA', null, null], function_type: 'lambda', arguments: { scale: l.config.scale } };
  }
  return lambda;
}

async function logitsOf(modelJson: Artifacts['modelJson'], weightData: Uint8Array, x: Float32Array) {
  const m = await importTfjs({ modelJson, weightData }, { logits: true });
  const session = await createSession({ graph: m.graph, weights: m.weights, threads: 1 });
  try {
    return { graph: m.graph, logits: (await session.run(x, { layout: 'nhwc' })).logits };
  } finally {
    await session.dispose();
  }
}

const std = (v: ArrayLike<number>) => {
  const a = Array.from(v);
  const mean = a.reduce((s, x) => s + x, 0) / a.length;
  return Math.sqrt(a.reduce((s, x) => s + (x - mean) ** 2, 0) / a.length);
};

describe('Keras InceptionResNetV2 topology', () => {
  const k = new KerasFixture(1602);
  k.input('input_1', [SIZE, SIZE, 3]);
  const art = k.artifacts('float32', kerasInceptionResNetV2(k), 4 << 20);
  const x = randomArray(SIZE * SIZE * 3, 42, -1, 1);
  // Each test asks for the CustomScaleLayer form's import and logits; the first ask computes them,
  // so either test runs alone (`-t`) or after the other without running the model twice.
  let customOnce: ReturnType<typeof logitsOf> | undefined;
  const customForm = () => (customOnce ??= logitsOf(art.modelJson, art.weightData, x));

  it(`CustomScaleLayer form: 55,813,192 parameters; logits within 1e-4·std of tfjs at ${SIZE}×${SIZE}`, async () => {
    const custom = await customForm();
    expect(graphCost(custom.graph).params).toBe(55_813_192);
    expect(custom.graph.nodes.filter((n) => n.kind === 'add').map((n) => n.kind === 'add' && n.scale))
      .toEqual([...Array(10).fill(0.17), ...Array(20).fill(0.1), ...Array(9).fill(0.2), 1]);

    const linear = structuredClone(art.modelJson);
    layersOf(linear).at(-1)!.config.activation = 'linear';
    const [theirs] = runTfjs(await loadInTfjs(linear, art.weightData), x, [1, SIZE, SIZE, 3]);
    let worst = 0;
    for (let i = 0; i < theirs!.length; i++) worst = Math.max(worst, Math.abs(custom.logits[i]! - theirs![i]!));
    console.log(`IRv2 ${SIZE}: std(logits) ${std(theirs!).toExponential(2)}, max |Δ|/std ${(worst / std(theirs!)).toExponential(2)}`);
    expect(std(theirs!)).toBeGreaterThan(1e-3);
    expect(worst / std(theirs!)).toBeLessThan(1e-4);
  });

  it('Keras 2.x Lambda form (arguments {scale}): the same graph and logits, bit for bit', async () => {
    const custom = await customForm();
    const lambda = await logitsOf(asLambdaForm(art.modelJson), art.weightData, x);
    const shape = (g: typeof lambda.graph) => g.nodes.map((n) => [n.kind, n.inputs, n.shape, n.kind === 'add' ? n.scale : null]);
    expect(shape(lambda.graph)).toEqual(shape(custom.graph));
    expect(Array.from(lambda.logits)).toEqual(Array.from(custom.logits));
  });
});
