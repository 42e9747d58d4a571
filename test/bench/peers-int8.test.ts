/**
 * The int8 rows and the --browser mode of the end-to-end benchmark (bench/run.ts), without
 * running it: the new options, which runtimes a case runs and why the others do not, the
 * precision/platform columns of the markdown and the chart (on hand-made results, checked cell by
 * cell), the case-file splitting the pages share, and the bench server's path rules. No timing
 * assertions. The page driver in Chromium: test/bench/browser-page.test.ts.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchRuntimes, caseUnavailable, DEFAULT_OPTIONS, parseBenchArgs } from '../../bench/run.js';
import { resolveRequest } from '../../bench/peers/browser-server.js';
import { splitImages, splitWeights } from '../../bench/peers/case-format.js';
import { renderChartSvg } from '../../bench/peers/chart.js';
import { REPO_ROOT } from '../../bench/peers/peer-modules.js';
import { renderMarkdown } from '../../bench/peers/report.js';
import { summarize, type BenchResult, type BenchRow } from '../../bench/peers/results.js';
import { NO_INT8, RUNTIMES, type RuntimeId } from '../../bench/peers/runtimes.js';
import { calibrationImages } from '../../bench/peers/write-int8.js';
import { FIXTURE_INPUT_SEED, seededInputNCHW } from '../../src/inception/seeded-weights.js';

describe('bench options: --precision, --browser, --int8-tolerance, --calibration', () => {
  it('defaults keep the old behaviour: f32 only, on Node', () => {
    const { options } = parseBenchArgs([]);
    expect(options.precisions).toEqual(['f32']);
    expect(options.browser).toBe(false);
    expect(options.int8Tolerance).toBe(DEFAULT_OPTIONS.int8Tolerance);
    expect(options.calibrationImages).toBe(DEFAULT_OPTIONS.calibrationImages);
  });
  it('parses the new options (a repeated precision once)', () => {
    const { options } = parseBenchArgs([
      '--precision', 'f32,int8,int8', '--browser', '--int8-tolerance', '0.1', '--calibration', '2', '--chromium', '/opt/chromium',
    ]);
    expect(options.precisions).toEqual(['f32', 'int8']);
    expect(options.browser).toBe(true);
    expect(options.int8Tolerance).toBe(0.1);
    expect(options.calibrationImages).toBe(2);
    expect(options.chromium).toBe('/opt/chromium');
  });
  it.each([
    ['unknown precision', ['--precision', 'int4'], /--precision 'int4' is unknown; one of: f32, int8/],
    ['zero calibration images', ['--calibration', '0'], /--calibration must be an integer ≥ 1/],
    ['non-positive int8 tolerance', ['--int8-tolerance', '0'], /--int8-tolerance must be a positive number/],
    ['a Node flag with --browser', ['--browser', '--relaxed-simd'], /--relaxed-simd is a Node flag/],
  ])('rejects %s', (_name, argv, message) => {
    expect(() => parseBenchArgs(argv)).toThrow(message);
  });
});

describe('which runtimes a case runs', () => {
  it('--browser runs the WASM runtimes only; Node runs all; --runtimes and --no-peers still apply', () => {
    expect(benchRuntimes({ peers: true, browser: false })).toEqual(['ours', 'ort-web', 'tfjs-wasm', 'ort-node']);
    expect(benchRuntimes({ peers: true, browser: true })).toEqual(['ours', 'ort-web', 'tfjs-wasm']);
    expect(benchRuntimes({ peers: true, browser: true, runtimes: ['ort-node', 'tfjs-wasm'] })).toEqual(['ours', 'tfjs-wasm']);
    expect(benchRuntimes({ peers: false, browser: true })).toEqual(['ours']);
  });
  const all: RuntimeId[] = ['ours', 'ort-web', 'tfjs-wasm', 'ort-node'];
  it('int8: TF.js is n/a, onnxruntime runs the QDQ file, a missing package keeps its reason', () => {
    const missing = new Map<RuntimeId, string>([['ort-web', 'onnxruntime-web is not installed']]);
    const int8 = caseUnavailable(all, missing, 'int8');
    expect(Object.fromEntries(int8)).toEqual({ 'ort-web': 'onnxruntime-web is not installed', 'tfjs-wasm': NO_INT8 });
    // Exactly the runtimes declared without an int8 form get NO_INT8.
    for (const id of all) expect(int8.get(id) === NO_INT8, id).toBe(!RUNTIMES[id].int8);
  });
  it('int8 without a QDQ file: the onnxruntime rows say why, ours still runs', () => {
    const why = 'our QDQ export failed: QDQ export is not written yet';
    const int8 = caseUnavailable(all, new Map(), 'int8', why);
    expect(Object.fromEntries(int8)).toEqual({ 'ort-web': why, 'tfjs-wasm': NO_INT8, 'ort-node': why });
  });
  it('f32 is untouched by int8 reasons', () => {
    expect(caseUnavailable(all, new Map(), 'f32', 'ignored').size).toBe(0);
  });
  it('calibration images are seeded, distinct, and never the timed input', () => {
    const images = calibrationImages(8, 3);
    const timed = seededInputNCHW(1, 3, 8, 8, FIXTURE_INPUT_SEED);
    expect(images).toHaveLength(3);
    images.forEach((x, i) => {
      expect(x).toEqual(seededInputNCHW(1, 3, 8, 8, FIXTURE_INPUT_SEED + 1 + i));
      expect(x).not.toEqual(timed);
    });
    expect(images[0]).not.toEqual(images[1]);
  });
});

describe('case files, as the pages split them', () => {
  it('splitImages: n whole images as views; a partial image is an error', () => {
    const floats = Float32Array.from({ length: 2 * 3 * 4 * 4 }, (_, i) => i);
    const images = splitImages(floats, 4, 'calibration.bin');
    expect(images.map((x) => [x.length, x[0]])).toEqual([[48, 0], [48, 48]]);
    expect(images[1]!.buffer).toBe(floats.buffer);
    expect(() => splitImages(floats.subarray(1), 4, 'calibration.bin')).toThrow(/calibration\.bin: 95 floats is not a whole number/);
    expect(() => splitImages(new Float32Array(0), 4, 'calibration.bin')).toThrow(/not a whole number/);
  });
  it('splitWeights: declaration order, exact length', () => {
    const graph = { weights: [{ name: 'a', shape: [2, 3] }, { name: 'b', shape: [4] }] } as never;
    const floats = Float32Array.from({ length: 10 }, (_, i) => i);
    const w = splitWeights(floats, graph, 'weights.bin');
    expect([...w.keys()]).toEqual(['a', 'b']);
    expect([...w.get('b')!]).toEqual([6, 7, 8, 9]);
    expect(() => splitWeights(floats.subarray(1), graph, 'weights.bin')).toThrow(/weights\.bin: 9 floats, but the graph declares 10/);
  });
});

describe('bench server paths', () => {
  const caseRoot = '/tmp/bench-case-root';
  const peers = { 'onnxruntime-web': '/pkgs/ort/dist' };
  it('maps a .js module under src/ and bench/ to the .ts beside it, to transpile', () => {
    expect(resolveRequest('/src/session.js', caseRoot, peers)).toEqual({ file: path.join(REPO_ROOT, 'src/session.ts'), transpile: true });
    expect(resolveRequest('/bench/peers/browser-page.js', caseRoot, peers)).toEqual({ file: path.join(REPO_ROOT, 'bench/peers/browser-page.ts'), transpile: true });
  });
  it('serves dist/, build/, a peer\'s dist/ and the cases as files', () => {
    expect(resolveRequest('/build/relaxed-shared.wasm', caseRoot, peers)).toEqual({ file: path.join(REPO_ROOT, 'build/relaxed-shared.wasm'), transpile: false });
    expect(resolveRequest('/peer/onnxruntime-web/ort.wasm.bundle.min.mjs', caseRoot, peers)?.file).toBe('/pkgs/ort/dist/ort.wasm.bundle.min.mjs');
    expect(resolveRequest('/case/googlenet-64/weights.bin', caseRoot, peers)?.file).toBe('/tmp/bench-case-root/googlenet-64/weights.bin');
  });
  it.each([
    ['a .. escape from the cases', '/case/../../etc/passwd'],
    ['an encoded .. escape', '/case/%2e%2e/%2e%2e/etc/passwd'],
    ['a .. escape from a peer', '/peer/onnxruntime-web/../../../etc/passwd'],
    ['an unknown peer', '/peer/left-pad/index.js'],
    ['anything outside the mounts', '/package.json'],
    ['node_modules directly', '/node_modules/onnxruntime-web/package.json'],
    ['a NUL byte', '/case/a%00b'],
    ['bad percent-encoding', '/case/%E0%A4%A'],
  ])('refuses %s', (_name, url) => {
    const r = resolveRequest(url, caseRoot, peers);
    if (r === undefined) return;
    // Normalised paths may stay inside a mount; they must never leave it.
    const inside = [caseRoot, '/pkgs/ort/dist', path.join(REPO_ROOT, 'src'), path.join(REPO_ROOT, 'bench')].some((d) => r.file.startsWith(d + path.sep));
    expect(inside, r.file).toBe(true);
  });
});

/** A hand-made result: googlenet on Node and Chromium, f32 and int8, one and two threads. */
function madeUp(): BenchResult {
  const rows: BenchRow[] = [];
  const row = (r: Partial<BenchRow> & Pick<BenchRow, 'runtime' | 'threads' | 'precision' | 'platform'>): BenchRow => ({
    model: 'googlenet', inputSize: 224, label: RUNTIMES[r.runtime].label, role: RUNTIMES[r.runtime].role, notes: [], timesMs: [], ...r,
  });
  for (const platform of ['node', 'chromium'] as const) {
    for (const precision of ['f32', 'int8'] as const) {
      for (const threads of [1, 2]) {
        // Distinct, recognisable p50s: platform 1000s, precision 100s, threads 10s, runtime 1s.
        const base = (platform === 'node' ? 1000 : 2000) + (precision === 'f32' ? 100 : 200) + 10 * threads;
        rows.push(row({ runtime: 'ours', threads, precision, platform, p50Ms: base + 1, timesMs: [base + 1], coldStartMs: 1 }));
        rows.push(row({ runtime: 'ort-web', threads, precision, platform, p50Ms: base + 2, timesMs: [base + 2], oursOverThis: (base + 1) / (base + 2), coldStartMs: 2 }));
        rows.push(precision === 'int8'
          ? row({ runtime: 'tfjs-wasm', threads, precision, platform, error: NO_INT8 })
          : row({ runtime: 'tfjs-wasm', threads, precision, platform, p50Ms: base + 3, timesMs: [base + 3], oursOverThis: (base + 1) / (base + 3), coldStartMs: 3 }));
      }
    }
  }
  return {
    schema: 2, startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:01:00Z', command: 'made up',
    machine: { cpu: 'cpu', cores: 2, node: 'v20', platform: 'linux x64', memoryBytes: 1, loadAvgStart: [0, 0, 0], loadAvgEnd: [0, 0, 0], processStartupMs: 1, browser: 'Chromium 156' },
    options: {
      models: ['googlenet'], threads: [1, 2], runs: 1, warmup: 0, primer: 1, peers: true, tolerance: 1e-3, nodeFlags: [], oursFrom: 'src',
      precisions: ['f32', 'int8'], platform: 'chromium', int8Tolerance: 0.05, calibrationImages: 4,
    },
    networks: [{ model: 'googlenet', variant: 'torchvision', inputSize: 224, params: 1, macs: 1e9 }],
    rows, profiles: {},
    features: {
      node: { simd: true, relaxedSimd: true, relaxedDotI8: false, threads: true, cores: 2 },
      chromium: { simd: true, relaxedSimd: true, relaxedDotI8: true, threads: true, cores: 2 },
    },
  };
}

/** The cells of the markdown table that follows `heading`, by header name. */
function table(md: string, heading: string): Record<string, string>[] {
  const lines = md.split('\n');
  const start = lines.indexOf(heading) + 2;
  const split = (l: string) => l.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
  const header = split(lines[start]!);
  const out: Record<string, string>[] = [];
  for (let i = start + 2; lines[i]?.startsWith('|'); i++) out.push(Object.fromEntries(split(lines[i]!).map((c, j) => [header[j], c])));
  return out;
}

describe('report: platform and precision columns', () => {
  const result = madeUp();
  const md = renderMarkdown(result, 'x.svg');

  it('one summary row per platform × precision × threads, each cell from its own case', () => {
    const rows = table(md, '## Median latency (ms), ours / that runtime in parentheses');
    expect(rows).toHaveLength(8);
    for (const r of rows) {
      const base = (r.platform === 'node' ? 1000 : 2000) + (r.precision === 'f32' ? 100 : 200) + 10 * Number(r.threads);
      expect(r['inception-wasm'], JSON.stringify(r)).toBe(String(base + 1));
      expect(r['onnxruntime-web (wasm)']).toBe(`${base + 2} (${((base + 1) / (base + 2)).toFixed(2)}×)`);
      expect(r['tfjs-backend-wasm']).toBe(r.precision === 'int8' ? NO_INT8 : `${base + 3} (${((base + 1) / (base + 3)).toFixed(2)}×)`);
      // ours vs 1 thread compares within the same platform and precision.
      if (r.threads === '2') expect(r['ours vs 1 thread']).toBe(`${((base - 10 + 1) / (base + 1)).toFixed(2)}×`);
    }
    expect(rows.map((r) => `${r.platform} ${r.precision}`)).toEqual([
      'node f32', 'node f32', 'node int8', 'node int8', 'chromium f32', 'chromium f32', 'chromium int8', 'chromium int8',
    ]);
  });
  it('detail rows carry platform and precision; int8 TF.js rows say n/a', () => {
    const rows = table(md, '## Detail');
    expect(rows).toHaveLength(result.rows.length);
    rows.forEach((r, i) => {
      expect([r.platform, r.precision, r.thr]).toEqual([result.rows[i]!.platform, result.rows[i]!.precision, String(result.rows[i]!.threads)]);
    });
    const tfInt8 = rows.filter((r) => r.runtime === 'tfjs-backend-wasm' && r.precision === 'int8');
    expect(tfInt8).toHaveLength(4);
    for (const r of tfInt8) expect(r['output vs ours (max \\|Δ\\|/std)']).toBe(NO_INT8);
  });
  it('states the int8 tolerance, the calibration and each platform\'s relaxedDotI8', () => {
    expect(md).toContain('max |Δ| ≤ 0.05 × std of our int8 logits');
    expect(md).toContain('with 4 seeded calibration images');
    expect(md).toContain('**node** — SIMD yes, relaxed SIMD yes, `relaxedDotI8` false');
    expect(md).toContain('**chromium** — SIMD yes, relaxed SIMD yes, `relaxedDotI8` true');
    expect(md).not.toMatch(/## Notes[\s\S]*n\/a \(no int8\)/);
  });
  it('a missing QDQ file shows as unavailable, with the reason under Notes', () => {
    const r = madeUp();
    const ortInt8 = r.rows.find((x) => x.runtime === 'ort-web' && x.precision === 'int8' && x.platform === 'node' && x.threads === 1)!;
    Object.assign(ortInt8, { p50Ms: undefined, timesMs: [], oursOverThis: undefined, error: 'our QDQ export failed: QDQ export is not written yet' });
    const text = renderMarkdown(r);
    const row = table(text, '## Median latency (ms), ours / that runtime in parentheses').find((x) => x.platform === 'node' && x.precision === 'int8' && x.threads === '1')!;
    expect(row['onnxruntime-web (wasm)']).toBe('unavailable (no QDQ file)');
    expect(text).toContain('- onnxruntime-web (wasm) (googlenet, int8, 1 thr, node): our QDQ export failed: QDQ export is not written yet');
  });
  it('schema-1 results (no precision, no platform) read as f32 on Node', () => {
    const old = madeUp();
    old.rows = old.rows.filter((r) => r.platform === 'node' && r.precision === 'f32').map(({ precision: _p, platform: _q, ...r }) => r);
    delete old.features;
    const rows = table(renderMarkdown(old), '## Median latency (ms), ours / that runtime in parentheses');
    expect(rows.map((r) => [r.platform, r.precision, r.threads])).toEqual([['node', 'f32', '1'], ['node', 'f32', '2']]);
    expect(summarize(old).map((s) => s.ours?.p50Ms)).toEqual([1111, 1121]);
  });
  it('chart: one labelled bar per timed row, int8 bars hatched, the n/a rows named', () => {
    const svg = renderChartSvg(result);
    const timed = result.rows.filter((r) => r.p50Ms !== undefined);
    expect(svg.match(/<title>/g)).toHaveLength(timed.length);
    expect(svg.match(/fill="url\(#int8\)"/g)).toHaveLength(timed.filter((r) => r.precision === 'int8').length);
    expect(svg).toContain('<title>inception-wasm, chromium, int8, 2 thr: p50 2221.0 ms');
    expect(svg.match(/>n\/a \(no int8\)</g)).toHaveLength(4);
  });
});
