/**
 * bench/ab.ts, the paired A/B harness: its option sets, and one tiny run of this tree against
 * itself (googlenet 32×32, 2 rounds) whose ratio must come from the rounds' pairs.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatAb, parseAbArgs, parseSide, runAb, type AbResult } from '../../bench/ab.js';
import { median } from '../../src/util/stats.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('A/B option sets', () => {
  it('parses k=v lists into typed session options', () => {
    expect(parseSide('--a', 'winograd=false, build=baseline,threads=2')).toEqual({ winograd: false, build: 'baseline', threads: 2 });
    expect(parseSide('--b', '')).toEqual({});
  });
  it.each([
    ['a misspelt key names the nearest', 'winogard=true', /--a: unknown option 'winogard'; did you mean winograd\?/],
    ['a boolean that is not one', 'winograd=yes', /--a: winograd must be true or false, got 'yes'/],
    ['a key without a value', 'winograd', /--a: 'winograd' needs a value/],
    ['an unknown build', 'build=fast', /--a: build must be auto, baseline or relaxed/],
  ])('%s', (_name, text, message) => {
    expect(() => parseSide('--a', text)).toThrow(message);
  });
  it('both sides default to this tree; flags set networks, sizes, threads, batch, rounds', () => {
    const o = parseAbArgs(['--model', 'googlenet', '--size', '32,48', '--threads', '1,2', '--batch', '2', '--rounds', '3', '--b', 'winograd=false']);
    expect(o.a).toEqual({ tree: ROOT, options: {} });
    expect(o.b).toEqual({ tree: ROOT, options: { winograd: false } });
    expect([o.models, o.sizes, o.threads, o.batch, o.rounds]).toEqual([['googlenet'], [32, 48], [1, 2], 2, 3]);
  });
  it('a folder that is no checkout is named with the fix', async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'ab-not-a-tree-'));
    try {
      await expect(runAb({ ...parseAbArgs(['--size', '32', '--rounds', '1']), b: { tree: empty, options: {} } })).rejects.toThrow(/is not a checkout of this repository \(no src\/session.ts\)/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('A/B run: this tree against itself, googlenet 32×32, 2 rounds', () => {
  let result: AbResult;

  it('pairs A and B round by round, alternating which goes first', async () => {
    result = await runAb(parseAbArgs(['--tree-b', ROOT, '--model', 'googlenet', '--size', '32', '--rounds', '2', '--primer', '1']));
    expect(result.rows).toHaveLength(1);
    const row = result.rows[0]!;
    expect(row.inputShape).toEqual([1, 3, 32, 32]);
    expect(row.timesA).toHaveLength(2);
    expect(row.timesB).toHaveLength(2);
    for (const t of [...row.timesA, ...row.timesB]) expect(t).toBeGreaterThan(0);
    expect(row.firstInRound).toEqual(['a', 'b']);
    // The ratio is the median of per-round B/A, not a ratio of the two medians.
    const perRound = row.timesB.map((b, i) => b / row.timesA[i]!);
    expect(row.ratio.ratios).toEqual(perRound);
    expect(row.ratio.median).toBe(median(perRound));
    expect(row.ratio.rounds).toBe(2);
    expect(row.ratio.lo).toBeLessThanOrEqual(row.ratio.median);
    expect(row.ratio.hi).toBeGreaterThanOrEqual(row.ratio.median);
    expect(row.a.median).toBe(median(row.timesA));
    expect(row.b.median).toBe(median(row.timesB));
    // Same tree, same options: the same logits bit for bit.
    expect(row.outputs).toEqual({ identical: true, maxAbsDiffOverStd: 0 });
  });

  it('reports what A and B are and one table row per measurement', () => {
    const lines = formatAb(result).split('\n');
    expect(lines[0]).toBe('A: this tree');
    expect(lines[1]).toBe('B: this tree');
    expect(lines[2]).toMatch(/^2 rounds, A and B back to back/);
    expect(lines[4]).toMatch(/^\| network \| input \| threads \| A ms.*\| B\/A paired \[95 %\] \| rounds \| outputs \|$/);
    const row = lines[6]!.split(' | ');
    expect(row[0]).toBe('| googlenet');
    expect(row[1]).toBe('1×3×32×32');
    expect(row[5]).toMatch(/^\d+\.\d{3} \[\d+\.\d{3}, \d+\.\d{3}\]$/);
    expect(row[6]).toBe('2');
    expect(lines).toHaveLength(7);
  });

  it('runs from the command line: JSON out, usage errors exit 2', () => {
    const run = (...argv: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'bench/ab.ts', ...argv], { cwd: ROOT, encoding: 'utf8' });
    const ok = run('--size', '32', '--rounds', '2', '--a', 'winograd=false', '--json');
    expect(ok.status, ok.stderr).toBe(0);
    const json = JSON.parse(ok.stdout) as AbResult;
    expect(json.a.options).toEqual({ winograd: false });
    expect(json.rows[0]!.ratio.ratios).toHaveLength(2);
    const bad = run('--round', '2');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/unknown option '--round'; did you mean --rounds\?/);
  });
});
