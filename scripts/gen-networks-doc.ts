/**
 * Generates docs/networks.md and its diagrams docs/img/*.svg from the network builders:
 * `npx tsx scripts/gen-networks-doc.ts`. The prose (what changed from the previous version) is
 * written here; every table and diagram is derived from the Graph. test/draw/networks-doc.test.ts
 * regenerates the doc in memory and fails when the committed files differ, so run this after
 * changing a builder or the drawing code.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { renderBlockDiagram } from '../src/draw/block-diagram.js';
import { formatHWC } from '../src/draw/ops.js';
import { renderStageStrip } from '../src/draw/stage-strip.js';
import { stageRows } from '../src/draw/stage-table.js';
import { stageUnits } from '../src/draw/stages.js';
import { graphCost } from '../src/graph/cost.js';
import { buildNetwork, variantInfo } from '../src/inception/models.js';

interface NetworkDoc {
  model: string;
  heading: string;
  /** What changed from the previous version, in our own words (reference/inception-architectures.md). */
  changes: string[];
}

const NETWORKS: NetworkDoc[] = [
  {
    model: 'googlenet',
    heading: 'GoogLeNet (Inception-v1)',
    changes: [
      'The first Inception network (Szegedy et al. 2014): a plain conv/pool stem, then nine *Inception modules*, each running a 1×1, a 3×3, a 5×5 conv and a 3×3 max pool side by side on the same input and concatenating the results.',
      'The new trick is the 1×1 conv as a cheap channel reduction in front of the 3×3 and 5×5 convs and behind the pool, which keeps the whole network near 1.5 G multiply-adds.',
      'Max pools between the module groups halve the grid (28 → 14 → 7); a global average pool replaces the large fully connected layers of earlier nets; two auxiliary classifiers only help training.',
      "The torchvision weights came from TensorFlow, whose checkpoint has a 3×3 conv where the paper's 5×5 is (pytorch/vision#906) and BatchNorm after every conv; the `caffe` variant keeps the paper's 5×5, biases and LRN.",
    ],
  },
  {
    model: 'inception_v2',
    heading: 'BN-Inception (Inception-v2)',
    changes: [
      'The network of the Batch Normalization paper (Ioffe & Szegedy 2015): BatchNorm after every conv, which trains much faster and lets LRN and most dropout go.',
      'The 5×5 branch becomes two stacked 3×3 convs (the same receptive field), and the 28×28 stage gets a third module.',
      'Grid reduction moves inside the modules: Mixed_4a and Mixed_5a (the paper\'s 3c and 4e) have stride-2 conv branches next to a max pool that passes the input channels through; there are no pooling layers between modules.',
      "Pool branches use average pooling (one uses max). tf-slim's first layer is a separable 7×7 conv (depthwise ×8, then 1×1), which makes the stem far cheaper than GoogLeNet's.",
    ],
  },
  {
    model: 'inception_v3',
    heading: 'Inception-v3',
    changes: [
      'From "Rethinking the Inception Architecture" (Szegedy et al. 2015): factorise large convs — a 5×5 into two 3×3 (the double-3×3 branch), an n×n into a 1×n followed by an n×1 (n = 7 at 17×17).',
      'A 299×299 input, a stem of 3×3 convs, and three module stages at 35×35, 17×17 and 8×8 with different block types (InceptionA, C, E).',
      'Dedicated grid-reduction blocks (Mixed_6a, Mixed_7a) run stride-2 convs and a max pool in parallel and concatenate them: cheaper than conv-then-pool without the representational bottleneck of pool-then-conv.',
      'The 8×8 blocks are "expanded": their 1×3 and 3×1 convs run side by side for a 2048-wide output. The released code differs from the paper\'s table (stem end, 4 rather than 5 modules at 17×17); the code is the spec.',
    ],
  },
  {
    model: 'inception_v4',
    heading: 'Inception-v4',
    changes: [
      'From "Inception-v4, Inception-ResNet and the Impact of Residual Connections" (Szegedy et al. 2016): a deeper, more uniform Inception without residuals.',
      'The stem itself branches: Mixed_3a, 4a and 5a run convs and pools in parallel (including a 1×7/7×1 pair) and reach 35×35×384.',
      'Then 4 × Inception-A, Reduction-A, 7 × Inception-B (1×7/7×1 factorised), Reduction-B, 3 × Inception-C (1×3 | 3×1 splits); every pool branch is a 3×3 average pool that excludes padding.',
      'About twice the cost of v3 (12.3 G MACs, 42.7 M params) for about two points of top-1.',
    ],
  },
  {
    model: 'inception_resnet_v1',
    heading: 'Inception-ResNet-v1',
    changes: [
      'Adds residual connections to Inception (same paper as v4): a block\'s branches are concatenated, projected back to the input width by a linear 1×1 conv (bias, no BN, no ReLU), scaled down (0.17, 0.1, 0.2) and added to the block input before the ReLU.',
      'Scaling the residual keeps these wide residual nets from dying early in training; the final Block8 uses scale 1 and no ReLU.',
      'Simpler, cheaper blocks than v4 (Block35 ×5, Block17 ×10, Block8 ×5) on a plain conv stem ending at 35×35×256, with v4-style reduction blocks.',
      'Google released no ImageNet weights; the trained models are facenet\'s face-embedding networks (512-d at 160×160). Its cost is close to v3\'s.',
    ],
  },
  {
    model: 'inception_resnet_v2',
    heading: 'Inception-ResNet-v2',
    changes: [
      'The residual blocks of v1 with wider branches (Block35, Block17, Block8 with scales 0.17, 0.1, 0.2), on the v3-style stem followed by Mixed_5b (320 channels).',
      '10 × Block35, 20 × Block17 and 9 × Block8 plus a final Block8 without ReLU, then a 1×1 conv to 1536 channels before the pool.',
      'This is the released tf-slim network, which differs from the paper\'s figures (v4 stem, 5/10/5 blocks); the paper\'s widths do not even add up.',
      'The most accurate of the family (80.4% top-1 in tf-slim) at 13.2 G MACs and 55.8 M params.',
    ],
  },
];

export const DOC_PATH = 'docs/networks.md';
export const IMG_DIR = 'docs/img';

/** A file-name-safe form of a module path: `InceptionV2/Mixed_3b` → `InceptionV2-Mixed_3b`. */
function slug(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]+/g, '-');
}

const count = (n: number) => n.toLocaleString('en');
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function networkSection(doc: NetworkDoc, files: Map<string, string>): string[] {
  const { variant, inputSize } = variantInfo(doc.model);
  const g = buildNetwork(doc.model);
  const cost = graphCost(g);
  const context = `${doc.model} (${variant})`;
  const stripPath = `${IMG_DIR}/${doc.model}.svg`;
  files.set(stripPath, renderStageStrip(g, { title: `${doc.heading} — ${context}, ${inputSize[0]}×${inputSize[1]}` }));
  const out: string[] = [
    `## ${doc.heading}`,
    '',
    `\`${doc.model}\`, variant \`${variant}\`, input ${inputSize[0]}×${inputSize[1]}×3: **${count(cost.params)} params, ${count(cost.macs)} MACs**.`,
    '',
    '**What changed**',
    '',
    ...doc.changes.map((c) => `- ${c}`),
    '',
    `![${doc.heading}: stages](img/${doc.model}.svg)`,
    '',
    '| stage | output | params | MACs | share |',
    '|---|---|---:|---:|---:|',
    ...stageRows(g).map((r) => `| \`${r.name}\` | ${formatHWC(r.shape)} | ${count(r.params)} | ${count(r.macs)} | ${pct(r.macsShare)} |`),
    '',
    '**Blocks** (one per distinct structure; widths are those of the first block of its group)',
    '',
  ];
  const seen = new Set<string>();
  for (const unit of stageUnits(g)) {
    if (unit.block === undefined) continue;
    if (unit.signature !== undefined) {
      if (seen.has(unit.signature)) continue;
      seen.add(unit.signature);
    }
    const path = `${IMG_DIR}/${doc.model}-${slug(unit.stages[0]!)}.svg`;
    files.set(path, renderBlockDiagram(g, unit.stages[0]!, { context }));
    const repeats = unit.repeats > 1 ? ` (× ${unit.repeats})` : '';
    out.push(`### \`${unit.title}\`${repeats} — ${unit.label}`, '', `![${unit.stages[0]}](img/${doc.model}-${slug(unit.stages[0]!)}.svg)`, '');
  }
  return out;
}

/**
 * The whole doc: markdown for docs/networks.md and the SVG files it links, keyed by their path
 * relative to the repository root. Pure: builds graphs, writes nothing.
 */
export function renderNetworksDoc(): { markdown: string; files: Map<string, string> } {
  const files = new Map<string, string>();
  const lines = [
    '# The networks',
    '',
    '<!-- Generated by `npx tsx scripts/gen-networks-doc.ts` from the network builders; do not edit by hand. -->',
    '',
    'Each network at its default variant and standard input size, batch 1, as built by `src/inception/`.',
    'Tables and diagrams are read from the Graph: output shapes are NHWC without the batch, params are',
    'trainable parameters (conv/fc weights and biases, BN γ and β), MACs are the multiply-accumulates of',
    'conv and fc layers (the figure torchvision publishes as "GFLOPS"), share is the stage\'s part of',
    'them. The same tables come from `inception-wasm info --model <name> --stages` (add `--profile` for',
    'measured time per stage) and the diagrams from `inception-wasm draw --model <name> [--block <stage>]`.',
    '',
    ...NETWORKS.map((n) => `- [${n.heading}](#${n.heading.toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-')})`),
    '',
  ];
  for (const doc of NETWORKS) lines.push(...networkSection(doc, files));
  return { markdown: `${lines.join('\n').trimEnd()}\n`, files };
}

/** Whether `file` (a name in IMG_DIR) is one of ours: `<model>.svg` or `<model>-<block>.svg`. */
export function isGeneratedImage(file: string): boolean {
  return NETWORKS.some((n) => file === `${n.model}.svg` || (file.startsWith(`${n.model}-`) && file.endsWith('.svg')));
}

/**
 * Writes the doc and its images under `root` (default: the repository this script is in), and
 * removes generated images the doc no longer links. Returns the paths written.
 */
export function writeNetworksDoc(root = join(dirname(fileURLToPath(import.meta.url)), '..')): string[] {
  const { markdown, files } = renderNetworksDoc();
  const written = [DOC_PATH, ...files.keys()];
  mkdirSync(join(root, IMG_DIR), { recursive: true });
  for (const file of readdirSync(join(root, IMG_DIR))) {
    if (isGeneratedImage(file) && !files.has(`${IMG_DIR}/${file}`)) rmSync(join(root, IMG_DIR, file));
  }
  writeFileSync(join(root, DOC_PATH), markdown);
  for (const [path, svg] of files) writeFileSync(join(root, path), svg);
  return written;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const written = writeNetworksDoc();
  console.log(`wrote ${written.length} files: ${DOC_PATH} and ${written.length - 1} SVGs in ${IMG_DIR}/`);
}
