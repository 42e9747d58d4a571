/**
 * Per-stage costs and the stage strip: the stage table's MACs and params add up to the network's,
 * consecutive blocks of one structure are grouped "× n", profile steps map onto stages by node name.
 */
import { describe, expect, it } from 'vitest';
import { renderStageStrip } from '../../src/draw/stage-strip.js';
import { attachProfile, formatStageTable, stageRows, TAIL_ROW, UNMATCHED_ROW } from '../../src/draw/stage-table.js';
import { stageUnits } from '../../src/draw/stages.js';
import { graphCost } from '../../src/graph/cost.js';
import type { StepProfile } from '../../src/bindings/executor.js';
import { Graph } from '../../src/graph/graph.js';
import { buildNetwork, type BuildOptions } from '../../src/inception/models.js';
import { findAll, parseXml, textOf } from './xml.js';

const NETWORKS: [string, string, BuildOptions][] = [
  ['googlenet torchvision', 'googlenet', {}],
  ['googlenet torchvision with aux heads', 'googlenet', { aux: true }],
  ['googlenet caffe', 'googlenet', { variant: 'caffe' }],
  ['inception_v2 tf', 'inception_v2', {}],
  ['inception_v2 caffe', 'inception_v2', { variant: 'caffe' }],
  ['inception_v3 torchvision with AuxLogits', 'inception_v3', { aux: true }],
  ['inception_v4 timm', 'inception_v4', {}],
  ['inception_resnet_v1 facenet 160', 'inception_resnet_v1', { variant: 'facenet' }],
  ['inception_resnet_v2 timm', 'inception_resnet_v2', {}],
];

describe('stage table', () => {
  it.each(NETWORKS)('%s: rows sum to the network total (params and MACs), shares to 100%', (_, model, options) => {
    const g = buildNetwork(model, options);
    const cost = graphCost(g);
    const rows = stageRows(g);
    expect(rows.reduce((s, r) => s + r.macs, 0)).toBe(cost.macs);
    expect(rows.reduce((s, r) => s + r.params, 0)).toBe(cost.params);
    expect(rows.reduce((s, r) => s + r.macsShare, 0)).toBeCloseTo(1, 9);
    const units = stageUnits(g);
    expect(units.reduce((s, u) => s + u.macs, 0)).toBe(cost.macs);
  });

  it('adds a tail row for nodes after the last stage mark', () => {
    const g = new Graph();
    const x = g.input('input', [1, 4, 4, 3]);
    const stem = g.markStage('stem', g.conv('stem', x, { outChannels: 2, kernelH: 1, kernelW: 1, weight: 'w' }));
    g.markOutput(g.fc('fc', g.flatten('flat', stem), { outFeatures: 5, weight: 'fw' }));
    const rows = stageRows(g);
    expect(rows.map((r) => [r.name, r.macs])).toEqual([['stem', 4 * 4 * 3 * 2], [TAIL_ROW, 32 * 5]]);
  });

  it('formats a text table with a total line', () => {
    const text = formatStageTable(stageRows(buildNetwork('googlenet')));
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^stage\s+output\s+params\s+MACs\s+MACs %$/);
    expect(lines.find((l) => l.startsWith('inception3a'))).toMatch(/28×28×256\s+155,872\s+121,626,624\s+8\.1%$/);
    expect(lines[lines.length - 1]).toMatch(/^total\s+6,624,904\s+1,498,376,192\s+100\.0%$/);
  });
});

describe('profile steps mapped onto stages', () => {
  const g = buildNetwork('googlenet');
  const step = (name: string, ms: number, macs = 0): StepProfile => ({ name, kind: 'conv', shape: [], ms, macs, gflops: 0 });
  const profile = [
    step('conv1.conv', 2, 1e6),
    step('inception3a.branch1.conv+inception3a.branch2.0.conv+inception3a.branch3.0.conv', 3, 3e6),
    step('inception3a.branch4.0', 1),
    step('inception3a[2]', 0.5),
    step('maxpool3+inception4a.branch1.conv', 4, 4e6),
    step('no.such.node', 0.5),
  ];
  const rows = attachProfile(g, stageRows(g), profile);
  const row = (name: string) => rows.find((r) => r.name === name)!;

  it('merged sibling convs and concat copies land in their block', () => {
    expect(row('conv1').ms).toBe(2);
    expect(row('inception3a').ms).toBe(4.5);
  });

  it('a step spanning two stages is split by the MACs of its parts', () => {
    expect(row('maxpool3').ms).toBe(0);
    expect(row('inception4a').ms).toBe(4);
  });

  it('unknown step names get their own row; time shares sum to 1', () => {
    expect(row(UNMATCHED_ROW).ms).toBe(0.5);
    expect(rows.reduce((s, r) => s + (r.timeShare ?? 0), 0)).toBeCloseTo(1, 9);
    expect(row('conv1').gflops).toBeCloseTo((2 * 1e6) / (2 * 1e6), 9);
  });
});

describe('stage strip', () => {
  const GROUPS: [string, string, string, number][] = [
    ['googlenet', 'googlenet', 'inception4a … inception4e', 5],
    ['v3 InceptionC', 'inception_v3', 'Mixed_6b … Mixed_6e', 4],
    ['v3 InceptionA (widths differ, structure equal)', 'inception_v3', 'Mixed_5b … Mixed_5d', 3],
    ['v4 Inception-B', 'inception_v4', 'features.11 … features.17', 7],
    ['IRv2 Block35 children', 'inception_resnet_v2', 'repeat.0 … repeat.9', 10],
    ['IRv2 Block17 children', 'inception_resnet_v2', 'repeat_1.0 … repeat_1.19', 20],
  ];

  it.each(GROUPS)('%s (%s): %s × %i', (_, model, title, repeats) => {
    const g = buildNetwork(model);
    expect(stageUnits(g).find((u) => u.title === title)?.repeats).toBe(repeats);
    const svg = parseXml(renderStageStrip(g, { title: model }));
    const texts = findAll(svg, 'text').map(textOf);
    expect(texts).toContain(title);
    expect(texts).toContain(`× ${repeats}`);
  });

  it('keeps different structures apart (BN-Inception Mixed_5b avg pool vs Mixed_5c max pool; IRv2 block8 without ReLU)', () => {
    const v2 = stageUnits(buildNetwork('inception_v2')).map((u) => u.title);
    expect(v2).toContain('InceptionV2/Mixed_5b');
    expect(v2).toContain('InceptionV2/Mixed_5c');
    const irv2 = stageUnits(buildNetwork('inception_resnet_v2'));
    expect(irv2.find((u) => u.title === 'block8')?.label).toBe('residual: 2 branches → 1×1 conv, ×1');
    expect(irv2.find((u) => u.title === 'repeat_2.0 … repeat_2.8')?.label).toBe('residual: 2 branches → 1×1 conv, ×0.2, ReLU');
  });

  it('shows each row with its output shape, input first', () => {
    const svg = parseXml(renderStageStrip(buildNetwork('inception_v3'), { title: 'v3' }));
    const shapes = findAll(svg, 'text').filter((t) => t.attrs.class === 'shape').map(textOf);
    expect(shapes[0]).toBe('299×299×3');
    expect(shapes).toContain('17×17×768');
    expect(shapes[shapes.length - 1]).toBe('1000');
  });
});
