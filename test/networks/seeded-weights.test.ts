/**
 * The builders' weight lists are the torchvision/timm state dicts (names, shapes, roles, order),
 * and the seeded fill reproduces the fixtures' weights and inputs bit for bit.
 */

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildNetwork } from '../../src/inception/models.js';
import { seededInputNCHW, seededWeights } from '../../src/inception/seeded-weights.js';
import { mulberry32 } from '../../src/util/prng.js';
import { FIXTURE_NAMES, HAVE_FIXTURES, SKIP_REASON, loadFixture, type FixtureModel } from './fixtures.js';

function sha256(arrays: Iterable<Float32Array>): string {
  const hash = createHash('sha256');
  for (const a of arrays) hash.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return hash.digest('hex');
}

function draws(seed: number, skip: number, count: number): number[] {
  const next = mulberry32(seed);
  for (let i = 0; i < skip; i++) next();
  return Array.from({ length: count }, next);
}

describe('mulberry32 known answers (fixtures README)', () => {
  it.each([
    { case: 'seed 1, draws 0-4', seed: 1, skip: 0, expected: [0.6270739405881613, 0.002735721180215478, 0.5274470399599522, 0.9810509674716741, 0.9683778982143849] },
    { case: 'seed 1234, draws 0-4', seed: 1234, skip: 0, expected: [0.07329497812315822, 0.7034119898453355, 0.9028560190927237, 0.9705493662040681, 0.04096397617831826] },
    { case: 'seed 42, draws 0-4', seed: 42, skip: 0, expected: [0.6011037519201636, 0.44829055899754167, 0.8524657934904099, 0.6697340414393693, 0.17481389874592423] },
    { case: 'seed 1234, draws 60,000,000-60,000,003 (state stays wrapped)', seed: 1234, skip: 60_000_000, expected: [0.9653171964455396, 0.19912963407114148, 0.856212581275031, 0.1510766299907118] },
  ])('$case', ({ seed, skip, expected }) => {
    expect(draws(seed, skip, expected.length)).toEqual(expected);
  });
});

describe('seeded fill known answers (fixtures README)', () => {
  it('googlenet conv1.conv.weight first 8 (fanIn 147)', () => {
    const w = seededWeights(buildNetwork('googlenet').weights).get('conv1.conv.weight')!;
    expect(Array.from(w.subarray(0, 8))).toEqual([
      -0.1724148690700531, 0.0821908563375473, 0.16277840733528137, 0.19013065099716187,
      -0.1854785680770874, -0.1544470340013504, -0.13665950298309326, 0.12233231216669083,
    ]);
  });

  it('input first 8 (any size)', () => {
    expect(Array.from(seededInputNCHW(2, 3, 5, 7).subarray(0, 8))).toEqual([
      0.2022075057029724, -0.10341887921094894, 0.7049316167831421, 0.3394680917263031,
      -0.6503722071647644, 0.05318508297204971, -0.453544020652771, 0.24948930740356445,
    ]);
  });
});

const MODELS = Object.keys(FIXTURE_NAMES) as FixtureModel[];

describe.skipIf(!HAVE_FIXTURES)(`weight list and seeded weights equal the fixtures${SKIP_REASON}`, () => {
  it.each(MODELS)('%s: weight list = fixture state_dict (name, shape, role, order)', (model) => {
    const fixture = loadFixture(FIXTURE_NAMES[model][0]!);
    const g = buildNetwork(model, { variant: fixture.variant });
    expect(g.weights.map((w) => [w.name, [...w.shape], w.role]))
      .toEqual(fixture.state_dict.map(([name, shape, role]) => [name, shape, role]));
    expect(g.weights.length).toBe(fixture.weights.num_tensors);
  });

  it.each(MODELS)('%s: seeded weights sha256 (per-tensor sums on mismatch)', (model) => {
    const fixture = loadFixture(FIXTURE_NAMES[model][0]!);
    const weights = seededWeights(buildNetwork(model, { variant: fixture.variant }).weights);
    expect([...weights.values()].reduce((n, a) => n + a.length, 0)).toBe(fixture.weights.num_draws);
    const digest = sha256(weights.values());
    if (digest !== fixture.weights.sha256_f32le) {
      const wrongSums = fixture.state_dict.filter(([name, , , sum]) => {
        let s = 0;
        for (const v of weights.get(name)!) s += v;
        return Math.abs(s - sum) > 1e-9 * Math.max(1, Math.abs(sum));
      }).map(([name]) => name);
      expect(wrongSums, 'tensors whose sum differs from the fixture').toEqual([]);
    }
    expect(digest).toBe(fixture.weights.sha256_f32le);
  });

  it.each(MODELS.flatMap((m) => FIXTURE_NAMES[m]))('%s: seeded input sha256, first8, sum', (name) => {
    const { input } = loadFixture(name);
    const [n, c, h, w] = input.shape;
    const x = seededInputNCHW(n, c, h, w);
    expect(sha256([x])).toBe(input.sha256_f32le);
    expect(Array.from(x.subarray(0, 8))).toEqual(input.first8);
    expect(x.reduce((s, v) => s + v, 0)).toBeCloseTo(input.sum, 6);
  });
});
