/** `draw` and `info --stages [--profile]`, called through their `run` as the CLI would. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../../src/commands/command.js';
import { draw } from '../../src/commands/draw.js';
import { info } from '../../src/commands/info.js';
import { parseXml, findAll, textOf } from './xml.js';

const dir = mkdtempSync(join(tmpdir(), 'draw-cmd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a command and returns what it printed with console.log. */
async function logged(run: () => Promise<void>): Promise<string> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => { lines.push(args.join(' ')); });
  try {
    await run();
  } finally {
    spy.mockRestore();
  }
  return lines.join('\n');
}

afterEach(() => vi.restoreAllMocks());

describe('inception-wasm draw', () => {
  it('--block writes the block diagram', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const out = join(dir, 'block.svg');
    await draw.run({ model: 'inception_v3', block: 'Mixed_6e', out }, []);
    const texts = findAll(parseXml(readFileSync(out, 'utf8')), 'text').map(textOf);
    expect(texts).toContain('1×7 conv 192');
    expect(texts).toContain('concat 768');
  });

  it('without --block writes the stage strip', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const out = join(dir, 'strip.svg');
    await draw.run({ model: 'googlenet', variant: 'caffe', out }, []);
    expect(findAll(parseXml(readFileSync(out, 'utf8')), 'text').map(textOf)).toContain('LRN 5 → 1×1 conv 64');
  });

  it('an unknown --block is a usage error listing the names', async () => {
    const err = await draw.run({ model: 'inception_resnet_v2', block: 'Mixed_5b', out: join(dir, 'x.svg') }, []).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/--block 'Mixed_5b' names no module .*one of: conv2d_1a, .*mixed_5b, repeat, repeat\.0, repeat\.1/);
  });
});

describe('inception-wasm info', () => {
  it('--json keeps its keys and adds the stage table with --stages', async () => {
    const json = JSON.parse(await logged(() => info.run({ model: 'googlenet', json: true, stages: true }, [])));
    for (const key of ['params', 'macs', 'stages', 'peakArenaBytes']) expect(json).toHaveProperty(key);
    expect(json.stages[0]).toEqual({ name: 'conv1', shape: [1, 112, 112, 64], params: 9536, macs: 118013952 });
    expect(json.stageTable.map((r: { macs: number }) => r.macs).reduce((a: number, b: number) => a + b, 0)).toBe(json.macs);
  });

  it('--stages --profile measures every stage (seeded weights, small input)', async () => {
    const text = await logged(() => info.run({ model: 'googlenet', size: '64', stages: true, profile: true, threads: '1' }, []));
    const lines = text.split('\n');
    const header = lines.find((l) => l.startsWith('stage'))!;
    expect(header).toMatch(/MACs %\s+ms\s+GFLOP\/s\s+time %$/);
    const conv3 = lines.find((l) => l.startsWith('conv3 '))!;
    expect(Number(conv3.trim().split(/\s+/).at(-3))).toBeGreaterThan(0);
    expect(lines.at(-1)).toMatch(/^total .*100\.0%$/);
  });

  it('--profile without --stages is a usage error', async () => {
    await expect(info.run({ model: 'googlenet', profile: true }, [])).rejects.toThrow(UsageError);
  });
});
