/**
 * The papers' cost claims, measured on our kernels: `npx tsx bench/claims.ts [--threads 1,2]
 * [--rounds n] [--only id,id] [--no-winograd] [--json]`. Not a test.
 *
 * Each claim compares small graphs at the shapes where the networks use the construct, built with
 * the Graph API and run by `createSession({ graph, weights: 'seeded' })`. Per variant it reports
 * the MACs (conv + fc) and the measured time, both as ratios to the claim's first variant, so
 * "fewer MACs" can be read against "less time" on this engine: small or oddly shaped GEMMs (a
 * 16-wide reduction, an 8×8 map) run below peak and eat part of the saving. Rounds interleave the
 * variants (one run of each per round, bench/harness/) and keep the median time; a time ratio is the
 * median of the per-round ratios, so a noisy neighbour hits both sides of each ratio alike.
 *
 * Every conv is a conv unit as the networks' after BN folding: conv + bias + ReLU. Sessions use
 * the engine's default algorithms, so 3×3, 1×3/3×1 and 1×7/7×1 convs run by Winograd and a variant
 * can save more time than MACs; `--no-winograd` times every conv as im2col/direct GEMM, where the
 * MAC ratios are the paper's.
 */
import { pathToFileURL } from 'node:url';
import { graphCost } from '../src/graph/cost.js';
import { pads, type Pads } from '../src/graph/geometry.js';
import { Graph } from '../src/graph/graph.js';
import type { ValueId } from '../src/graph/nodes.js';
import { seededInputNCHW } from '../src/inception/seeded-weights.js';
import { createSession, type Session } from '../src/session.js';
import { fnVariant, interleave, median, pairedRatio, parseOrExit } from './harness/index.js';

/** Sizes a claim is measured at: a `size`×`size` map, `cin` channels in, `cout` out, `mid` for a bottleneck. */
export interface ClaimShape {
  size: number;
  cin: number;
  cout: number;
  mid?: number;
}

export interface ClaimVariant {
  name: string;
  /** Adds the variant's ops after input `x`; returns the output value. */
  build(g: Graph, x: ValueId, s: ClaimShape): ValueId;
}

export interface Claim {
  id: string;
  title: string;
  /** What the paper says, with its source. */
  paper: string;
  /** Where the networks use it. */
  where: string;
  shape: ClaimShape;
  /** Tiny sizes for a smoke test. */
  tiny: ClaimShape;
  /** The first variant is the baseline the ratios divide by. */
  variants: ClaimVariant[];
}

let counter = 0;
/** conv + bias + ReLU (a conv unit after BN folding). */
function conv(g: Graph, x: ValueId, out: number, kh: number, kw: number, opts: { stride?: number; pad?: Pads } = {}): ValueId {
  const name = `conv${counter++}`;
  const y = g.conv(name, x, {
    outChannels: out, kernelH: kh, kernelW: kw, strideH: opts.stride ?? 1, strideW: opts.stride ?? 1,
    padding: opts.pad ?? pads((kh - 1) / 2, (kw - 1) / 2), weight: `${name}.weight`, bias: `${name}.bias`,
  });
  return g.relu(`${name}.relu`, y);
}

function maxPool3s2(g: Graph, x: ValueId): ValueId {
  return g.maxPool(`pool${counter++}`, x, { kernelH: 3, kernelW: 3, strideH: 2, strideW: 2 });
}

const mid = (s: ClaimShape) => s.mid ?? s.cout;

export const CLAIMS: Claim[] = [
  {
    id: '5x5-vs-two-3x3',
    title: '5×5 vs two stacked 3×3 (same receptive field and widths)',
    paper: 'Rethinking §3.1: (9+9)/25 → 28% fewer',
    where: 'v3 InceptionA',
    shape: { size: 35, cin: 64, cout: 64 },
    tiny: { size: 5, cin: 4, cout: 4 },
    variants: [
      { name: '5×5 conv', build: (g, x, s) => conv(g, x, s.cout, 5, 5) },
      { name: '3×3 conv → 3×3 conv', build: (g, x, s) => conv(g, conv(g, x, s.cout, 3, 3), s.cout, 3, 3) },
    ],
  },
  {
    id: '3x3-vs-1x3-3x1',
    title: '3×3 vs 1×3 then 3×1',
    paper: 'Rethinking §3.2: 6/9 → 33% fewer',
    where: 'v3 InceptionE, IRv2 Block8',
    shape: { size: 8, cin: 384, cout: 384 },
    tiny: { size: 4, cin: 4, cout: 4 },
    variants: [
      { name: '3×3 conv', build: (g, x, s) => conv(g, x, s.cout, 3, 3) },
      { name: '1×3 conv → 3×1 conv', build: (g, x, s) => conv(g, conv(g, x, s.cout, 1, 3), s.cout, 3, 1) },
    ],
  },
  {
    id: '3x3-vs-two-2x2',
    title: '3×3 vs two stacked 2×2',
    paper: 'Rethinking §3.2: (4+4)/9 → 11% fewer',
    where: 'v3 35×35 grid',
    shape: { size: 35, cin: 64, cout: 64 },
    tiny: { size: 4, cin: 4, cout: 4 },
    variants: [
      { name: '3×3 conv', build: (g, x, s) => conv(g, x, s.cout, 3, 3) },
      {
        name: '2×2 conv → 2×2 conv',
        // Pads (0,0,1,1) then (1,1,0,0): same output size and a 3×3 receptive field.
        build: (g, x, s) => conv(g, conv(g, x, s.cout, 2, 2, { pad: { top: 0, left: 0, bottom: 1, right: 1 } }), s.cout, 2, 2, { pad: { top: 1, left: 1, bottom: 0, right: 0 } }),
      },
    ],
  },
  {
    id: '7x7-vs-1x7-7x1',
    title: '7×7 vs 1×7 then 7×1',
    paper: 'Rethinking §3.2: n×n → 1×n + n×1, 14/49 → 71% fewer',
    where: 'v3 InceptionC, c7 = 192',
    shape: { size: 17, cin: 192, cout: 192 },
    tiny: { size: 7, cin: 4, cout: 4 },
    variants: [
      { name: '7×7 conv', build: (g, x, s) => conv(g, x, s.cout, 7, 7) },
      { name: '1×7 conv → 7×1 conv', build: (g, x, s) => conv(g, conv(g, x, s.cout, 1, 7), s.cout, 7, 1) },
    ],
  },
  {
    id: '1x1-reduction-3x3',
    title: '3×3 without vs with a 1×1 reduction',
    paper: 'GoogLeNet §4: 1×1 reductions before the expensive 3×3',
    where: 'GoogLeNet 4a, 3×3 branch',
    shape: { size: 14, cin: 480, mid: 96, cout: 208 },
    tiny: { size: 4, cin: 8, mid: 2, cout: 4 },
    variants: [
      { name: '3×3 conv', build: (g, x, s) => conv(g, x, s.cout, 3, 3) },
      { name: '1×1 conv → 3×3 conv', build: (g, x, s) => conv(g, conv(g, x, mid(s), 1, 1), s.cout, 3, 3) },
    ],
  },
  {
    id: '1x1-reduction-5x5',
    title: '5×5 without vs with a 1×1 reduction',
    paper: 'GoogLeNet §4: 1×1 reductions before the expensive 5×5',
    where: 'GoogLeNet 4a, "5×5" branch',
    shape: { size: 14, cin: 480, mid: 16, cout: 48 },
    tiny: { size: 5, cin: 8, mid: 2, cout: 4 },
    variants: [
      { name: '5×5 conv', build: (g, x, s) => conv(g, x, s.cout, 5, 5) },
      { name: '1×1 conv → 5×5 conv', build: (g, x, s) => conv(g, conv(g, x, mid(s), 1, 1), s.cout, 5, 5) },
    ],
  },
  {
    id: 'grid-reduction',
    title: 'grid reduction d×d×k → d/2×d/2×2k',
    paper: 'Rethinking §5: pool first costs ¼ but bottlenecks; parallel stride-2 conv | pool is cheaper still',
    where: 'v3 Mixed_6a input',
    shape: { size: 35, cin: 288, cout: 576 },
    tiny: { size: 7, cin: 4, cout: 8 },
    variants: [
      { name: '3×3 conv → max pool 3×3/2', build: (g, x, s) => maxPool3s2(g, conv(g, x, s.cout, 3, 3)) },
      { name: 'max pool 3×3/2 → 3×3 conv', build: (g, x, s) => conv(g, maxPool3s2(g, x), s.cout, 3, 3) },
      {
        name: '3×3/2 conv | max pool 3×3/2 → concat',
        build: (g, x, s) => g.concat(`concat${counter++}`, [conv(g, x, s.cout - s.cin, 3, 3, { stride: 2, pad: pads(0) }), maxPool3s2(g, x)]),
      },
    ],
  },
];

/** The graph of one variant at shape `s`: input `[1, size, size, cin]` → the variant's ops. */
export function variantGraph(v: ClaimVariant, s: ClaimShape): Graph {
  const g = new Graph();
  const x = g.input('input', [1, s.size, s.size, s.cin]);
  g.markOutput(v.build(g, x, s));
  return g;
}

export interface VariantResult {
  name: string;
  macs: number;
  macsRatio: number;
  outputShape: number[];
  /** Per thread count: median ms, paired ratio to the baseline (median of per-round ratios), GFLOP/s. */
  timings: { threads: number; ms: number; timeRatio: number; gflops: number }[];
}

export interface ClaimResult {
  claim: Claim;
  shape: ClaimShape;
  variants: VariantResult[];
}

export interface MeasureOptions {
  threads?: readonly number[];
  /** Interleaved rounds after 2 warm-up runs (default 9). */
  rounds?: number;
  /** Use the claim's tiny shape (smoke test). */
  tiny?: boolean;
  /** Winograd convs as in a default session (default true). */
  winograd?: boolean;
}

/** Builds, runs and times every variant of `claim`; throws if the variants' outputs differ in shape. */
export async function measureClaim(claim: Claim, options: MeasureOptions = {}): Promise<ClaimResult> {
  const shape = options.tiny ? claim.tiny : claim.shape;
  const rounds = options.rounds ?? 9;
  const graphs = claim.variants.map((v) => variantGraph(v, shape));
  const outShapes = graphs.map((g) => g.shape(g.output).join('×'));
  if (new Set(outShapes).size !== 1) throw new Error(`claim '${claim.id}': variants disagree on the output shape (${outShapes.join(' vs ')})`);
  const macs = graphs.map((g) => graphCost(g).macs);
  const variants: VariantResult[] = claim.variants.map((v, i) => ({
    name: v.name, macs: macs[i]!, macsRatio: macs[i]! / macs[0]!, outputShape: [...graphs[i]!.shape(graphs[i]!.output)], timings: [],
  }));
  const input = seededInputNCHW(1, shape.cin, shape.size, shape.size);
  for (const threads of options.threads ?? [1, 2]) {
    const sessions: Session[] = [];
    try {
      for (const g of graphs) sessions.push(await createSession({ graph: g, weights: 'seeded', threads, winograd: options.winograd ?? true }));
      const times = await interleave(sessions.map((s, i) => fnVariant(claim.variants[i]!.name, () => s.run(input, { layout: 'nhwc' }))), { rounds, warmup: 2 });
      const ms = times.map(median);
      variants.forEach((v, i) => v.timings.push({
        threads: sessions[i]!.info.threads, ms: ms[i]!, timeRatio: pairedRatio(times[i]!, times[0]!)!.median, gflops: (2 * v.macs) / (ms[i]! * 1e6),
      }));
    } finally {
      for (const s of sessions) await s.dispose();
    }
  }
  return { claim, shape, variants };
}

const shapeText = (s: ClaimShape) => `${s.size}×${s.size}×${s.cin} → ${s.mid !== undefined ? `${s.mid} → ` : ''}${s.cout} ch`;

/** The results as one markdown table: MACs ratio and measured time ratio side by side per thread count. */
export function formatClaimsTable(results: readonly ClaimResult[]): string {
  const threadCounts = [...new Set(results.flatMap((r) => r.variants.flatMap((v) => v.timings.map((t) => t.threads))))];
  const head = ['claim (paper)', 'shape', 'variant', 'MACs', 'MACs ratio', ...threadCounts.flatMap((t) => [`${t}T ms`, `${t}T time ratio`, `${t}T GFLOP/s`])];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i < 3 ? '---' : '---:')).join('|')}|`];
  for (const r of results) {
    r.variants.forEach((v, i) => {
      const cells = [
        i === 0 ? `**${r.claim.title}** — ${r.claim.paper}` : '',
        i === 0 ? `${shapeText(r.shape)} (${r.claim.where})` : '',
        v.name,
        `${(v.macs / 1e6).toFixed(1)} M`,
        v.macsRatio.toFixed(3),
        ...threadCounts.flatMap((t) => {
          const timing = v.timings.find((x) => x.threads === t);
          return timing ? [timing.ms.toFixed(2), timing.timeRatio.toFixed(3), timing.gflops.toFixed(1)] : ['', '', ''];
        }),
      ];
      lines.push(`| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`);
    });
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const values = parseOrExit({
    threads: { type: 'ints', default: [1, 2], min: 1, help: 'thread counts' },
    rounds: { type: 'int', default: 9, min: 1, help: 'interleaved rounds after 2 warm-up runs' },
    only: { type: 'strings', choices: CLAIMS.map((c) => c.id), help: 'claims to measure (default all)' },
    json: { type: 'boolean', help: 'print the results as JSON' },
    'no-winograd': { type: 'boolean', help: 'every conv as im2col/direct GEMM (the papers\' MAC ratios)' },
  }, process.argv.slice(2), {
    command: 'npm run bench:claims --',
    summary: 'The papers\' MAC-saving claims timed on our kernels: each claim\'s variants as small graphs, interleaved.',
  });
  const claims = values.only ? CLAIMS.filter((c) => values.only!.includes(c.id)) : CLAIMS;
  const results: ClaimResult[] = [];
  for (const claim of claims) {
    results.push(await measureClaim(claim, { threads: values.threads, rounds: values.rounds, winograd: !values['no-winograd'] }));
    console.error(`measured ${claim.id}`);
  }
  if (values.json) {
    console.log(JSON.stringify(results.map((r) => ({ id: r.claim.id, shape: r.shape, variants: r.variants })), null, 2));
    return;
  }
  console.log(formatClaimsTable(results));
  console.log('\nRatios divide by the first variant of each claim; ms = median of interleaved runs, time ratio = median of per-round ratios; batch 1, seeded weights.');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
