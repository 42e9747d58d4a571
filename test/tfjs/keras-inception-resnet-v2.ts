/**
 * keras.applications `InceptionResNetV2` (include_top, GAP + Dense softmax), layer for layer and
 * with Keras's automatic layer names, as a `KerasFixture` — following keras-team/keras
 * `keras/applications/inception_resnet_v2.py`: `conv2d_bn` = Conv2D (no bias) + BN(scale=False) +
 * ReLU; the residual `x + scale·up` is tf.keras ≥ 2.9's `CustomScaleLayer` (auto-named; Keras 2.x
 * serialised it as a `Lambda` named `block35_1` … with `arguments: {scale}`).
 */
import { KerasFixture } from './keras-fixture.js';

export function kerasInceptionResNetV2(k: KerasFixture, classes = 1000): string {
  const counters = new Map<string, number>();
  const auto = (base: string) => {
    const n = (counters.get(base) ?? 0) + 1;
    counters.set(base, n);
    return `${base}_${n}`;
  };
  const conv2dBn = (x: string, filters: number, kernel: number | [number, number], o: { strides?: number; padding?: 'same' | 'valid'; activation?: 'relu' | null; useBias?: boolean; name?: string } = {}) => {
    const useBias = o.useBias ?? false;
    let y = k.conv(o.name ?? auto('conv2d'), x, { filters, kernel, strides: o.strides ?? 1, padding: o.padding ?? 'same', useBias });
    if (!useBias) y = k.batchNorm(o.name ? `${o.name}_bn` : auto('batch_normalization'), y, { scale: false });
    if (o.activation !== null) y = k.activation(o.name ? `${o.name}_ac` : auto('activation'), y, 'relu');
    return y;
  };
  const block = (x: string, scale: number, type: 'block35' | 'block17' | 'block8', idx: number, activation = true) => {
    let branches: string[];
    if (type === 'block35') {
      branches = [
        conv2dBn(x, 32, 1),
        conv2dBn(conv2dBn(x, 32, 1), 32, 3),
        conv2dBn(conv2dBn(conv2dBn(x, 32, 1), 48, 3), 64, 3),
      ];
    } else if (type === 'block17') {
      branches = [conv2dBn(x, 192, 1), conv2dBn(conv2dBn(conv2dBn(x, 128, 1), 160, [1, 7]), 192, [7, 1])];
    } else {
      branches = [conv2dBn(x, 192, 1), conv2dBn(conv2dBn(conv2dBn(x, 192, 1), 224, [1, 3]), 256, [3, 1])];
    }
    const name = `${type}_${idx}`;
    const mixed = k.concat(`${name}_mixed`, branches);
    const up = conv2dBn(mixed, k.shape(x)[2]!, 1, { activation: null, useBias: true, name: `${name}_conv` });
    let y = k.customScale(auto('custom_scale_layer'), x, up, scale);
    if (activation) y = k.activation(`${name}_ac`, y, 'relu');
    return y;
  };

  let x = conv2dBn('input_1', 32, 3, { strides: 2, padding: 'valid' });
  x = conv2dBn(x, 32, 3, { padding: 'valid' });
  x = conv2dBn(x, 64, 3);
  x = k.pool('max', auto('max_pooling2d'), x, { pool: 3, strides: 2 });
  x = conv2dBn(x, 80, 1, { padding: 'valid' });
  x = conv2dBn(x, 192, 3, { padding: 'valid' });
  x = k.pool('max', auto('max_pooling2d'), x, { pool: 3, strides: 2 });

  x = k.concat('mixed_5b', [
    conv2dBn(x, 96, 1),
    conv2dBn(conv2dBn(x, 48, 1), 64, 5),
    conv2dBn(conv2dBn(conv2dBn(x, 64, 1), 96, 3), 96, 3),
    conv2dBn(k.pool('avg', auto('average_pooling2d'), x, { pool: 3, strides: 1, padding: 'same' }), 64, 1),
  ]);
  for (let i = 1; i <= 10; i++) x = block(x, 0.17, 'block35', i);

  x = k.concat('mixed_6a', [
    conv2dBn(x, 384, 3, { strides: 2, padding: 'valid' }),
    conv2dBn(conv2dBn(conv2dBn(x, 256, 1), 256, 3), 384, 3, { strides: 2, padding: 'valid' }),
    k.pool('max', auto('max_pooling2d'), x, { pool: 3, strides: 2 }),
  ]);
  for (let i = 1; i <= 20; i++) x = block(x, 0.1, 'block17', i);

  x = k.concat('mixed_7a', [
    conv2dBn(conv2dBn(x, 256, 1), 384, 3, { strides: 2, padding: 'valid' }),
    conv2dBn(conv2dBn(x, 256, 1), 288, 3, { strides: 2, padding: 'valid' }),
    conv2dBn(conv2dBn(conv2dBn(x, 256, 1), 288, 3), 320, 3, { strides: 2, padding: 'valid' }),
    k.pool('max', auto('max_pooling2d'), x, { pool: 3, strides: 2 }),
  ]);
  for (let i = 1; i <= 9; i++) x = block(x, 0.2, 'block8', i);
  x = block(x, 1, 'block8', 10, false);

  x = conv2dBn(x, 1536, 1, { name: 'conv_7b' });
  return k.dense('predictions', k.gap('avg_pool', x), { units: classes, activation: 'softmax' });
}
