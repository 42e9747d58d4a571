/**
 * `inception-wasm inspect` as a user runs it (`node --import tsx src/cli.ts inspect …`): text and
 * `--json` on an ONNX file the test exports, and the exit codes (0 done, 1 unreadable, 2 usage).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { graphCost } from '../../src/graph/cost.js';
import { buildNetwork } from '../../src/inception/models.js';
import { seededWeights } from '../../src/inception/seeded-weights.js';
import type { InspectReport } from '../../src/inspect/index.js';
import { exportOnnx } from '../../src/onnx/export.js';
import { importOnnxBytes } from '../../src/onnx/import.js';
import { runCli } from './run-cli.js';


const cli = (...args: string[]) => runCli(['inspect', ...args]);

describe('inception-wasm inspect', () => {
  const dir = mkdtempSync(join(tmpdir(), 'inspect-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const g = buildNetwork('googlenet', { variant: 'torchvision', inputSize: 64 });
  const bytes = exportOnnx(g, seededWeights(g.weights));
  const file = join(dir, 'googlenet.onnx');
  writeFileSync(file, bytes);

  it('--json: parses, and says what the importer and graphCost say', async () => {
    const r = await cli(file, '--json');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as InspectReport;
    const cost = graphCost(importOnnxBytes(bytes).graph);
    expect(report).toMatchObject({ file, format: 'onnx', opset: 13, unsupported: [], externalFiles: [] });
    expect(report.parameters.count).toBe(cost.params);
    expect(report.parameters.bnStats).toBe(cost.bnStats);
  }, 30_000);

  it('text: the format line, inputs with the free batch named, the parameter count, no unsupported op', async () => {
    const r = await cli(file);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/: ONNX \(opset 13, IR 7\)/);
    expect(r.stdout).toMatch(/input {2}FLOAT \[batch, 3, 64, 64\]/);
    expect(r.stdout).toContain(`parameters: ${graphCost(importOnnxBytes(bytes).graph).params.toLocaleString('en')}`);
    expect(r.stdout).toMatch(/unsupported ops: none/);
  }, 30_000);

  it('exit 1 for a file that cannot be read or is no model; exit 2 for usage errors', async () => {
    const missing = await cli(join(dir, 'absent.onnx'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/file not found/);
    const html = join(dir, 'page.onnx');
    writeFileSync(html, '<!doctype html><html></html>');
    expect((await cli(html)).code).toBe(1);
    const none = await cli();
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/name the model file/);
    expect((await cli(file, file)).code).toBe(2);
    expect((await cli(file, '--jsn')).code).toBe(2);
  }, 60_000);
});
