/**
 * The end-to-end benchmark (bench/run.ts) once, small, so it cannot rot: googlenet at 64 px, one
 * thread, one timed run, every runtime in its own child process. Peers that are not installed
 * must be skipped with the install command; installed ones must pass the output check and be
 * timed. The full benchmark is `npm run bench` (minutes), not part of `npm test`.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS, parseBenchArgs, runBench, writeResults } from '../../bench/run.js';
import { benchArgv } from '../../src/commands/bench.js';
import { summarize, type BenchResult } from '../../bench/peers/results.js';
import { checkOutput } from '../../bench/peers/stats.js';
import { pairedRatio } from '../../bench/harness/stats.js';

const out = mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('benchmark statistics (quantiles: test/bench/harness.test.ts)', () => {
  it.each([
    ['identical', 0, true],
    ['0.5e-3 × std off', 0.5e-3, true],
    ['2e-3 × std off', 2e-3, false],
  ])('output check, one logit %s', (_name, offBy, ok) => {
    const ours = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i));
    const std = checkOutput(ours, ours, 1e-3).referenceStd;
    const theirs = ours.slice();
    theirs[17] += offBy * std;
    expect(checkOutput(ours, theirs, 1e-3).ok).toBe(ok);
  });
  it.each([
    ['load spike hits both in round 2', [10, 40, 10], [20, 80, 20], 0.5],
    ['ours faster in 2 of 3 rounds', [10, 30, 10], [20, 20, 20], 0.5],
    ['different run counts', [10, 10], [20], undefined],
  ])('paired ratio: %s', (_name, ours, theirs, expected) => {
    expect(pairedRatio(ours, theirs)?.median).toBe(expected);
  });
  it('output check fails on NaN and on a length mismatch', () => {
    const ours = Float32Array.of(1, 2, 3);
    expect(checkOutput(ours, Float32Array.of(1, NaN, 3), 1e-3).ok).toBe(false);
    expect(checkOutput(ours, Float32Array.of(1, 2), 1e-3).ok).toBe(false);
  });
});

describe('inception-wasm bench', () => {
  it.each([
    ['defaults', {}, []],
    ['model, threads, runs, peers', { model: 'googlenet', threads: '1,2', runs: '3', peers: true }, ['--model', 'googlenet', '--threads', '1,2', '--runs', '3', '--peers']],
    ['no peers, json, relaxed SIMD', { 'no-peers': true, json: true, 'relaxed-simd': true }, ['--no-peers', '--json', '--relaxed-simd']],
    ['where to and from', { out: '/tmp/x', name: 'n', ours: 'dist' }, ['--ours', 'dist', '--out', '/tmp/x', '--name', 'n']],
    [
      'int8 rows in the browser', { precision: 'f32,int8', 'int8-tolerance': '0.05', calibration: '3', browser: true, chromium: '/usr/bin/chromium' },
      ['--precision', 'f32,int8', '--int8-tolerance', '0.05', '--calibration', '3', '--chromium', '/usr/bin/chromium', '--browser'],
    ],
  ])('passes its options to bench/run.ts: %s', (_name, values, argv) => {
    expect(benchArgv(values)).toEqual(argv);
    expect(() => parseBenchArgs(argv)).not.toThrow();
  });
  it.each([
    ['unknown model', ['--model', 'resnet50'], /--model 'resnet50' is unknown/],
    ['zero runs', ['--runs', '0'], /--runs must be an integer ≥ 1/],
    ['unknown runtime', ['--runtimes', 'tvm'], /--runtimes 'tvm' is unknown/],
    ['contradicting peers flags', ['--peers', '--no-peers'], /contradict/],
  ])('the harness rejects bad arguments: %s', (_name, argv, message) => {
    expect(() => parseBenchArgs(argv)).toThrow(message);
  });
});

describe('benchmark harness, googlenet 64 px, 1 thread, 1 run', () => {
  let result: BenchResult;

  it('runs ours and every installed peer in child processes; peers match ours before timing', async () => {
    result = await runBench({ ...DEFAULT_OPTIONS, models: ['googlenet'], inputSize: 64, threads: [1], runs: 1, warmup: 0, command: 'smoke test' });
    const ours = result.rows.find((r) => r.role === 'ours')!;
    expect(ours.error).toBeUndefined();
    expect(ours.timesMs).toHaveLength(1);
    expect(ours.p50Ms).toBeGreaterThan(0);
    expect(ours.coldStartMs).toBeGreaterThan(ours.firstRunMs!);
    expect(['baseline', 'relaxed']).toContain(ours.build);
    expect(ours.threadsUsed).toBe(1);
    expect(ours.arenaBytes).toBeGreaterThan(0);
    expect(ours.peakRssBytes).toBeGreaterThan(0);
    expect(ours.gflops).toBeGreaterThan(0);
    expect(result.networks).toEqual([expect.objectContaining({ model: 'googlenet', inputSize: 64 })]);
    expect(result.profiles.googlenet.totalMs).toBeGreaterThan(0);
    const peers = result.rows.filter((r) => r.role !== 'ours');
    expect(peers.map((r) => r.runtime)).toEqual(['ort-web', 'tfjs-wasm', 'ort-node']);
    for (const row of peers) {
      if (row.error?.includes('not installed')) {
        expect(row.error, row.label).toMatch(/npm i -D /);
        continue;
      }
      expect(row.error, row.label).toBeUndefined();
      expect(row.check?.ok, row.label).toBe(true);
      expect(row.p50Ms, row.label).toBeGreaterThan(0);
      expect(row.oursOverThis, row.label).toBeCloseTo(ours.p50Ms! / row.p50Ms!, 12);
    }
    expect(summarize(result)).toHaveLength(1);
  });

  it('writes JSON, a markdown table and an SVG chart', () => {
    const files = writeResults(result, out, 'smoke');
    for (const f of Object.values(files)) expect(existsSync(f), f).toBe(true);
    expect(JSON.parse(readFileSync(files.json, 'utf8'))).toEqual(JSON.parse(JSON.stringify(result)));
    const md = readFileSync(files.md, 'utf8');
    expect(md).toContain('| googlenet 64 | 1 | ');
    expect(md).toContain('![median latency');
    const svg = readFileSync(files.svg, 'utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    const timed = result.rows.filter((r) => r.p50Ms !== undefined).length;
    expect(svg.match(/<title>/g)).toHaveLength(timed);
  });
});
