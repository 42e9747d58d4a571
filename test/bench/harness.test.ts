/**
 * bench/harness/: the option parser every bench script uses, the interleaving of variants, and the
 * statistics (quantiles, the paired ratio and its bootstrap interval).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  HelpRequested, interleave, markdownTable, nearest, pairedRatio, parseOptions, timeStats, UsageError, type Variant,
} from '../../bench/harness/index.js';
import { median, percentile } from '../../src/util/stats.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const INFO = { command: 'bench/x.ts', summary: 'test script' };
const SPECS = {
  threads: { type: 'ints', default: [1, 2], min: 1, help: 'thread counts' },
  rounds: { type: 'int', default: 7, min: 1, help: 'timed rounds' },
  model: { type: 'strings', choices: ['googlenet', 'inception_v3'], help: 'networks' },
  json: { type: 'boolean', help: 'print JSON' },
  tolerance: { type: 'number', positive: true, help: 'tolerance' },
} as const;

describe('bench option parser', () => {
  it('types, defaults and both value forms', () => {
    const v = parseOptions(SPECS, ['--threads=1,2,4', '--model', 'googlenet', '--json'], INFO);
    expect(v).toEqual({ threads: [1, 2, 4], rounds: 7, model: ['googlenet'], json: true });
    const threads: number[] = v.threads;
    const model: string[] | undefined = v.model;
    expect([threads.length, model?.length]).toEqual([3, 1]);
  });
  it.each([
    ['a misspelt flag names the nearest', ['--thread', '1'], /unknown option '--thread'; did you mean --threads\?/],
    ['a transposed flag', ['--rnuds', '3'], /did you mean --rounds\?/],
    ['below the minimum', ['--rounds', '0'], /--rounds must be an integer ≥ 1, got '0'/],
    ['not an integer in a list', ['--threads', '1,x'], /--threads must be an integer ≥ 1, got 'x'/],
    ['not a choice', ['--model', 'resnet50'], /--model 'resnet50' is unknown; one of: googlenet, inception_v3/],
    ['a missing value', ['--rounds'], /--rounds needs a value/],
    ['a value for a boolean', ['--json=yes'], /--json takes no value/],
    ['a positional argument', ['googlenet'], /unexpected argument 'googlenet'/],
    ['a non-positive number', ['--tolerance', '0'], /--tolerance must be a positive number/],
  ])('usage error: %s', (_name, argv, message) => {
    expect(() => parseOptions(SPECS, argv, INFO)).toThrow(UsageError);
    expect(() => parseOptions(SPECS, argv, INFO)).toThrow(message);
  });
  it('--help lists every option with its default', () => {
    let text = '';
    try {
      parseOptions(SPECS, ['--rounds', '3', '--help'], INFO);
    } catch (e) {
      expect(e).toBeInstanceOf(HelpRequested);
      text = (e as Error).message;
    }
    expect(text.split('\n')[0]).toBe('usage: bench/x.ts [options]');
    for (const name of Object.keys(SPECS)) expect(text).toContain(`--${name}`);
    expect(text).toMatch(/--threads n,….*thread counts \(default 1,2\)/);
  });
  it('nearest prefers a prefix, then the smallest edit distance', () => {
    expect(nearest('run', ['rounds', 'runs', 'runtimes'])).toBe('runs');
    expect(nearest('modle', ['model', 'models', 'json'])).toBe('model');
  });
  it('a script exits 2 on an unknown flag, naming the nearest one', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/winograd.ts', '--thread', '1'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--thread'; did you mean --threads\?/);
  });
});

describe('bench statistics', () => {
  it.each([
    ['odd count', [5, 1, 3], 0.5, 3],
    ['even count interpolates', [1, 2, 3, 4], 0.5, 2.5],
    ['p90 of 1..11', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 0.9, 10],
    ['p10 of 1..11', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 0.1, 2],
    ['single value', [7], 0.9, 7],
  ])('percentile: %s', (_name, values, q, expected) => {
    expect(percentile(values, q)).toBeCloseTo(expected, 12);
  });
  it('summary of times', () => {
    expect(timeStats([4, 2, 8, 6])).toEqual({ n: 4, median: 5, p10: 2.6, p90: 7.4, min: 2 });
    expect(timeStats([]).n).toBe(0);
    expect(median([])).toBeNaN();
  });
  it('paired ratio: the median of per-round ratios, not the ratio of medians', () => {
    // Load rises over the run; B takes 0.9 of A in two rounds and 0.5 in three.
    const a = [10, 20, 30, 40, 50], b = [9, 18, 15, 20, 25];
    const p = pairedRatio(b, a)!;
    expect(p.ratios).toEqual([0.9, 0.9, 0.5, 0.5, 0.5]);
    expect([p.median, p.rounds]).toEqual([0.5, 5]);
    expect(median(b) / median(a)).toBe(0.6);
    // Every round the same ratio: the interval collapses onto it.
    const same = pairedRatio([5, 20, 20, 5, 5], [10, 40, 40, 10, 10])!;
    expect([same.median, same.lo, same.hi]).toEqual([0.5, 0.5, 0.5]);
  });
  it('paired ratio: the bootstrap interval holds the median, is deterministic and narrows with rounds', () => {
    const ratiosOf = (n: number) => Array.from({ length: n }, (_, i) => 0.9 + 0.1 * Math.sin(i * 1.7));
    const few = ratiosOf(6), many = ratiosOf(60);
    const p6 = pairedRatio(few, few.map(() => 1))!, p60 = pairedRatio(many, many.map(() => 1))!;
    for (const p of [p6, p60]) {
      expect(p.lo).toBeLessThanOrEqual(p.median);
      expect(p.hi).toBeGreaterThanOrEqual(p.median);
      expect(p.lo).toBeGreaterThanOrEqual(Math.min(...p.ratios));
      expect(p.hi).toBeLessThanOrEqual(Math.max(...p.ratios));
    }
    expect(p60.hi - p60.lo).toBeLessThan(p6.hi - p6.lo);
    expect(pairedRatio(few, few.map(() => 1))).toEqual(p6);
  });
  it('paired ratio: undefined without pairs', () => {
    expect(pairedRatio([1, 2], [1])).toBeUndefined();
    expect(pairedRatio([], [])).toBeUndefined();
  });
  it('markdown table escapes | and aligns the right columns', () => {
    expect(markdownTable(['a', 'b'], [['x|y', '1']], [1])).toBe('| a | b |\n|---|---:|\n| x\\|y | 1 |');
  });
});

describe('interleaving', () => {
  const recording = (log: string[], name: string, fail?: number): Variant => {
    let timed = 0;
    return {
      name,
      warm: (runs) => void log.push(`${name} warm ${runs}`),
      time: () => {
        if (++timed === fail) throw new Error(`${name} broke`);
        log.push(`${name} time`);
        return timed;
      },
    };
  };
  it('warms each variant, then rotates which goes first, a primer before each timed run', async () => {
    const log: string[] = [];
    const times = await interleave([recording(log, 'A'), recording(log, 'B'), recording(log, 'C')], { rounds: 3, warmup: 2, primer: 1 });
    expect(times).toEqual([[1, 2, 3], [1, 2, 3], [1, 2, 3]]);
    const timedOrder = log.filter((l) => l.endsWith('time')).map((l) => l[0]).join('');
    expect(timedOrder).toBe('ABC' + 'BCA' + 'CAB');
    expect(log.slice(0, 3)).toEqual(['A warm 2', 'B warm 2', 'C warm 2']);
    expect(log.slice(3, 5)).toEqual(['A warm 1', 'A time']);
  });
  it('drops a variant that throws, clears its times, and keeps timing the others', async () => {
    const log: string[] = [], dropped: string[] = [];
    const rounds: number[][] = [];
    const times = await interleave([recording(log, 'A'), recording(log, 'B', 2)], {
      rounds: 3, onError: (v) => dropped.push(v.name), onRound: (_r, t) => rounds.push([...t]),
    });
    expect(dropped).toEqual(['B']);
    expect(times).toEqual([[1, 2, 3], []]);
    expect(rounds[2]).toEqual([3, NaN]);
  });
  it('without onError the first error is thrown', async () => {
    await expect(interleave([recording([], 'A', 1)], { rounds: 2 })).rejects.toThrow('A broke');
  });
});
