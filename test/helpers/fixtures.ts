/**
 * Access to ../shared/fixtures (never copied into the repo). Tests that need a fixture use
 * `describe.skipIf(!FIXTURES_AVAILABLE)` and say why in their name via `FIXTURES_SKIP_REASON`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const FIXTURES_DIR = fileURLToPath(new URL('../../../shared/fixtures/', import.meta.url));
export const FIXTURES_AVAILABLE = existsSync(FIXTURES_DIR);
export const FIXTURES_SKIP_REASON = FIXTURES_AVAILABLE ? '' : ` (skipped: ${FIXTURES_DIR} is absent — fixtures live beside the repo, see README)`;

export function fixturePath(relative: string): string {
  return FIXTURES_DIR + relative;
}

export interface TorchFixture {
  name: string;
  model: string;
  input: { shape: [number, number, number, number]; sha256_f32le: string };
  weights: { sha256_f32le: string; num_tensors: number };
  state_dict: [string, number[], string, number][];
  logits_f64: number[][];
  logits_stats_f64: { std: number };
}

export function torchFixture(name: string): TorchFixture {
  return JSON.parse(readFileSync(fixturePath(`torch/${name}.json`), 'utf8')) as TorchFixture;
}

/**
 * The torch README's checks: max |ours − logits_f64| ≤ bound·std(logits_f64), and the same
 * absolute bound on the difference of the two batch items (isolates the input-dependent part).
 * Returns both errors divided by std.
 */
export function compareToFixture(ours: Float32Array, fixture: TorchFixture): { logits: number; itemDiff: number } {
  const ref = fixture.logits_f64;
  const classes = ref[0].length;
  const std = fixture.logits_stats_f64.std;
  let worst = 0;
  let worstDiff = 0;
  for (let c = 0; c < classes; c++) {
    for (let n = 0; n < ref.length; n++) worst = Math.max(worst, Math.abs(ours[n * classes + c] - ref[n][c]));
    const d = ours[c] - ours[classes + c] - (ref[0][c] - ref[1][c]);
    worstDiff = Math.max(worstDiff, Math.abs(d));
  }
  return { logits: worst / std, itemDiff: worstDiff / std };
}
