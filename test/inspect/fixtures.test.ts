/**
 * `inspectModel` on the real files of ../shared/fixtures (a torch.onnx export, a converted Keras
 * model): nothing listed as unsupported where the importer loads the file, and the parameter
 * counts equal graphCost of the graph it builds. Skipped, saying why, when the folder is absent.
 */
import { describe, expect, it } from 'vitest';
import { graphCost } from '../../src/graph/cost.js';
import { inspectModel } from '../../src/inspect/index.js';
import { importOnnx } from '../../src/onnx/import.js';
import { importTfjs } from '../../src/tfjs/import.js';
import { FIXTURES_AVAILABLE, FIXTURES_SKIP_REASON, fixturePath } from '../helpers/fixtures.js';

describe.skipIf(!FIXTURES_AVAILABLE)(`inspect on the shared fixtures${FIXTURES_SKIP_REASON}`, () => {
  const cases = [
    ['torch/googlenet_224.onnx', async (p: string) => (await importOnnx(p)).graph],
    ['tfjs-keras-inception-v3/model.json', async (p: string) => (await importTfjs(p)).graph],
  ] as const;
  for (const [relative, load] of cases) {
    it(`${relative}: loads, nothing unsupported, parameters = graphCost of the import`, async () => {
      const path = fixturePath(relative);
      const cost = graphCost(await load(path));
      const report = await inspectModel(path);
      expect(report.unsupported).toEqual([]);
      expect(report.parameters.count).toBe(cost.params);
      expect(report.parameters.bnStats).toBe(cost.bnStats);
      expect(report.externalFiles.every((f) => f.status === 'ok')).toBe(true);
    }, 60_000);
  }
});
