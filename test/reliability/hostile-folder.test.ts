/**
 * Hostile model folders: every file a loader opens must be a regular file inside the model's
 * folder (TF.js shards, ONNX external data), and the model file itself a regular file. Each case
 * below — traversal strings in every path field (TF.js `paths`, ONNX `location`), links out of the
 * folder (to files and folders, direct and chained, dangling), FIFOs, character devices,
 * directories, oversized and truncated files — must end in a named error within 2 s, in a child
 * process the test can kill (a blocked event loop would stop this process's own timers), with its
 * memory watched; links that stay inside the folder load.
 *
 * Every model is input → global average pool → fully connected layer with zero weights, whose
 * bias is the file under test: on a zero input the logits are the bias, i.e. the bytes the loader
 * read. A file outside every model folder holds distinctive bytes, so "the logits equal the
 * outside file" is checked directly, and no error message may contain the outside folder's path
 * or the size of the outside file.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AttrType, DataType, encodeModel, type OnnxAttribute, type OnnxModel, type OnnxTensor } from '../../src/onnx/onnx-proto.js';
import type { RunnerCase, RunnerResult } from './hostile-folder-runner.js';

const here = dirname(fileURLToPath(import.meta.url));
const RUNNER = join(here, 'hostile-folder-runner.ts');
const REPO = resolve(here, '../..');
/** Each import must end within this (wall clock, measured by this process). */
const LIMIT_MS = 2000;
/** A child above this resident size is reading something unbounded (its baseline is ~0.2 GB). */
const RSS_LIMIT_BYTES = 1.5 * 2 ** 30;

const UNITS_TFJS = 64; // uint8 bias: 64 bytes
const UNITS_ONNX = 16; // float bias: 64 bytes
const CHANNELS = 4;
/** The outside file: 64 bytes that read as distinct, finite floats. */
const SECRET = new Uint8Array(Float32Array.from({ length: UNITS_ONNX }, (_, i) => 1000 + 7.25 * i).buffer);
/** An outside file whose size must not appear in any message. */
const SIZED_BYTES = 77_777;
/** A bias inside the folder, for the links that stay inside. */
const INSIDE = Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0x7f);

type Outcome = RunnerResult | { id: string; kind: 'timeout' | 'memory' | 'crash'; detail: string };

interface Case {
  id: string;
  format: 'tfjs' | 'onnx';
  /** The TF.js bias shard path, or the ONNX bias `location`. */
  field: string;
  /** Plants files in the model's folder before the import. */
  setup?: (folder: string) => void;
  /** Replaces the model file itself (FIFO, device, directory). */
  modelFile?: (file: string) => void;
  /** A named error whose message matches, or a load whose logits are these bytes. */
  expect: RegExp | Uint8Array;
}

let root: string;
let outside: string;
let secretPath: string;
let sizedPath: string;
let device: string | undefined;
const outcomes = new Map<string, Outcome>();

const mkfifo = (p: string) => {
  const r = spawnSync('mkfifo', [p]);
  if (r.status !== 0) throw new Error(`mkfifo failed: ${r.stderr}`);
};

function tfjsModel(folder: string, biasPath: string): string {
  const layer = (name: string, className: string, config: Record<string, unknown>, inbound: string[]) => ({
    name, class_name: className, config: { name, trainable: false, ...config },
    inbound_nodes: inbound.length === 0 ? [] : [inbound.map((s) => [s, 0, 0, {}])],
  });
  const json = {
    modelTopology: {
      keras_version: '2.2.4', backend: 'tensorflow',
      model_config: {
        class_name: 'Model',
        config: {
          name: 'hostile', input_layers: [['input_1', 0, 0]], output_layers: [['fc', 0, 0]],
          layers: [
            layer('input_1', 'InputLayer', { batch_input_shape: [null, 2, 2, CHANNELS], dtype: 'float32', sparse: false }, []),
            layer('gap', 'GlobalAveragePooling2D', { data_format: 'channels_last' }, ['input_1']),
            layer('fc', 'Dense', { units: UNITS_TFJS, activation: 'linear', use_bias: true }, ['gap']),
          ],
        },
      },
    },
    weightsManifest: [{
      paths: ['kernel.bin', biasPath],
      weights: [
        { name: 'fc/kernel', shape: [CHANNELS, UNITS_TFJS], dtype: 'float32' },
        { name: 'fc/bias', shape: [UNITS_TFJS], dtype: 'float32', quantization: { dtype: 'uint8', min: 0, scale: 1 } },
      ],
    }],
  };
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'kernel.bin'), new Uint8Array(4 * CHANNELS * UNITS_TFJS));
  writeFileSync(join(folder, 'model.json'), JSON.stringify(json));
  return join(folder, 'model.json');
}

function onnxModel(folder: string, location: string): string {
  const tensor = (name: string, dims: number[], extra: Partial<OnnxTensor>): OnnxTensor => ({
    name, dims, dataType: DataType.FLOAT, int32Data: [], int64Data: [], doubleData: [], dataLocation: 0, externalData: [], ...extra,
  });
  const attr = (name: string, i: number): OnnxAttribute => ({ name, type: AttrType.INT, i, floats: [], ints: [], strings: [], hasGraph: false });
  const info = (name: string, dims: number[]) => ({ name, elemType: DataType.FLOAT, shape: dims.map((value) => ({ value })) });
  const model: OnnxModel = {
    irVersion: 7, opsetImport: [{ domain: '', version: 13 }], producerName: 'test', producerVersion: '',
    graph: {
      name: 'hostile', sparseInitializers: 0, valueInfo: [],
      input: [info('x', [1, CHANNELS, 2, 2])],
      output: [info('y', [1, UNITS_ONNX])],
      initializer: [
        tensor('W', [UNITS_ONNX, CHANNELS], { rawData: new Uint8Array(4 * UNITS_ONNX * CHANNELS) }),
        tensor('B', [UNITS_ONNX], { dataLocation: 1, externalData: [{ key: 'location', value: location }] }),
      ],
      node: [
        { name: 'gap', opType: 'GlobalAveragePool', domain: '', input: ['x'], output: ['g'], attribute: [] },
        { name: 'flat', opType: 'Flatten', domain: '', input: ['g'], output: ['f'], attribute: [attr('axis', 1)] },
        { name: 'fc', opType: 'Gemm', domain: '', input: ['f', 'W', 'B'], output: ['y'], attribute: [attr('transB', 1)] },
      ],
    },
  };
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'model.onnx'), encodeModel(model));
  return join(folder, 'model.onnx');
}

/** The case list; paths to the outside are filled in once `outside` exists. */
function cases(): Case[] {
  const out = basename(outside);
  const traversal = /must be a relative path inside the model's folder/;
  const leaves = /leads outside the model's folder/;
  const list: Case[] = [];
  for (const format of ['tfjs', 'onnx'] as const) {
    const add = (id: string, c: Omit<Case, 'id' | 'format'>) => list.push({ id: `${format}: ${id}`, format, ...c });
    add('../ to the outside file', { field: `../../${out}/secret.bin`, expect: traversal });
    add('absolute path of the outside file', { field: secretPath, expect: traversal });
    add('absolute path of the sized outside file', { field: sizedPath, expect: traversal });
    add('backslashes', { field: `..\\..\\${out}\\secret.bin`, expect: traversal });
    add('a backslash inside a name', { field: 'sub\\bias.bin', expect: traversal });
    add('%2e%2e segments', { field: `%2e%2e/%2e%2e/${out}/secret.bin`, expect: traversal });
    add('percent-escaped slashes', { field: `%2E%2E%2F%2E%2E%2F${out}%2Fsecret.bin`, expect: traversal });
    add('NUL', { field: 'bias.bin\0../../x', expect: traversal });
    add('an empty path', { field: '', expect: format === 'tfjs' ? /paths must be an array of shard file names|must be a relative path/ : traversal });
    add('a drive letter', { field: 'C:\\secret.bin', expect: traversal });
    add('the folder itself (.)', { field: '.', expect: /is a directory, not a regular file/ });
    add('a link to the outside file', { field: 'bias.bin', setup: (d) => symlinkSync(secretPath, join(d, 'bias.bin')), expect: leaves });
    add('a relative link to the outside file', { field: 'bias.bin', setup: (d) => symlinkSync(`../../${out}/secret.bin`, join(d, 'bias.bin')), expect: leaves });
    add('a link to the sized outside file', { field: 'bias.bin', setup: (d) => symlinkSync(sizedPath, join(d, 'bias.bin')), expect: leaves });
    add('a chain of links ending outside', {
      field: 'bias.bin', expect: leaves,
      setup: (d) => (symlinkSync(secretPath, join(d, 'hop.bin')), symlinkSync('hop.bin', join(d, 'bias.bin'))),
    });
    add('a link to a folder outside', { field: 'sub/secret.bin', setup: (d) => symlinkSync(outside, join(d, 'sub')), expect: leaves });
    add('a dangling link out of the folder', { field: 'bias.bin', setup: (d) => symlinkSync(join(outside, 'missing.bin'), join(d, 'bias.bin')), expect: leaves });
    add('a link to /dev/zero', { field: 'bias.bin', setup: (d) => symlinkSync('/dev/zero', join(d, 'bias.bin')), expect: leaves });
    add('a missing file', { field: 'absent.bin', expect: /not found in the model's folder/ });
    add('a FIFO', { field: 'bias.bin', setup: (d) => mkfifo(join(d, 'bias.bin')), expect: /is a FIFO \(named pipe\), not a regular file/ });
    add('a directory', { field: 'bias.bin', setup: (d) => mkdirSync(join(d, 'bias.bin')), expect: /is a directory, not a regular file/ });
    if (device !== undefined) {
      const dev = device;
      add('a character device inside the folder', {
        field: 'bias.bin', expect: /is a character device, not a regular file/,
        setup: (d) => spawnSync('cp', ['-a', dev, join(d, 'bias.bin')]),
      });
    }
    const sizeError = format === 'tfjs' ? /weightsManifest\[0\] describes 1088 bytes of weights but its shards hold/ : /holds \d+ bytes from offset 0; the tensor needs 64/;
    add('an oversized file', { field: 'bias.bin', setup: (d) => writeFileSync(join(d, 'bias.bin'), new Uint8Array(10 << 20)), expect: sizeError });
    add('a 3 GiB (sparse) file', { field: 'bias.bin', setup: (d) => (writeFileSync(join(d, 'bias.bin'), ''), truncateSync(join(d, 'bias.bin'), 3 * 2 ** 30)), expect: sizeError });
    add('a truncated file', { field: 'bias.bin', setup: (d) => writeFileSync(join(d, 'bias.bin'), INSIDE.subarray(0, 10)), expect: sizeError });
    add('the model file is a FIFO', { field: 'bias.bin', modelFile: (f) => (rmSync(f), mkfifo(f)), expect: /is a FIFO \(named pipe\), not a regular file/ });
    add('the model file is a link to /dev/zero', { field: 'bias.bin', modelFile: (f) => (rmSync(f), symlinkSync('/dev/zero', f)), expect: /is a character device, not a regular file/ });
    // TF.js takes a folder for the folder holding model.json, so a directory named model.json is looked into.
    add('the model file is a directory', {
      field: 'bias.bin', modelFile: (f) => (rmSync(f), mkdirSync(f), format === 'tfjs' && mkdirSync(join(f, 'model.json'))),
      expect: /is a directory, not a regular file/,
    });
    // Links whose target stays inside the folder are fine.
    add('a link to a file inside', {
      field: 'bias.bin', expect: INSIDE,
      setup: (d) => (writeFileSync(join(d, 'real.bin'), INSIDE), symlinkSync('real.bin', join(d, 'bias.bin'))),
    });
    add('a link to a folder inside', {
      field: 'sub/bias.bin', expect: INSIDE,
      setup: (d) => (mkdirSync(join(d, 'real')), writeFileSync(join(d, 'real', 'bias.bin'), INSIDE), symlinkSync('real', join(d, 'sub'))),
    });
  }
  return list;
}

/** Runs the cases in child processes, killing one that overruns LIMIT_MS or RSS_LIMIT_BYTES and going on with the rest. */
async function runAll(list: RunnerCase[]): Promise<void> {
  let pending = list;
  for (let round = 0; pending.length > 0 && round < list.length; round++) {
    const file = join(root, `cases-${round}.json`);
    writeFileSync(file, JSON.stringify(pending));
    await new Promise<void>((done) => {
      const child = spawn(process.execPath, ['--import', 'tsx', RUNNER, file], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
      let current: { id: string; at: number } | undefined;
      let text = '';
      let stderr = '';
      const stop = (kind: 'timeout' | 'memory', detail: string) => {
        if (current) outcomes.set(current.id, { id: current.id, kind, detail });
        current = undefined;
        child.kill('SIGKILL');
      };
      child.stdout.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        let nl: number;
        while ((nl = text.indexOf('\n')) >= 0) {
          const msg = JSON.parse(text.slice(0, nl)) as { start?: string; imported?: string } & Partial<RunnerResult>;
          text = text.slice(nl + 1);
          if (msg.start !== undefined) current = { id: msg.start, at: performance.now() };
          else if (msg.imported !== undefined) current = undefined; // the session after a load is not timed
          else outcomes.set(msg.id!, msg as RunnerResult);
          if (msg.id !== undefined) current = undefined;
        }
      });
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const watch = setInterval(() => {
        if (current && performance.now() - current.at > LIMIT_MS) stop('timeout', `no result within ${LIMIT_MS} ms`);
        const rss = residentBytes(child.pid);
        if (current && rss > RSS_LIMIT_BYTES) stop('memory', `resident ${(rss / 2 ** 30).toFixed(1)} GiB`);
      }, 20);
      child.on('exit', () => {
        clearInterval(watch);
        if (current) outcomes.set(current.id, { id: current.id, kind: 'crash', detail: stderr.slice(-2000) });
        done();
      });
    });
    pending = pending.filter((c) => !outcomes.has(c.id));
  }
}

function residentBytes(pid: number | undefined): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

describe('hostile model folders: named errors, in time, nothing read from outside', () => {
  let list: Case[] = [];
  let prepared = false;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'hostile-folder-'));
    outside = mkdtempSync(join(tmpdir(), 'hostile-outside-'));
    secretPath = join(outside, 'secret.bin');
    sizedPath = join(outside, 'sized.bin');
    writeFileSync(secretPath, SECRET);
    writeFileSync(sizedPath, new Uint8Array(SIZED_BYTES).fill(7));
    const dev = join(outside, 'zero-device');
    device = spawnSync('mknod', [dev, 'c', '1', '5']).status === 0 ? dev : undefined;
    list = cases();
    const runnerCases: RunnerCase[] = list.map((c, i) => {
      const folder = join(root, `case${i}`);
      const file = c.format === 'tfjs' ? tfjsModel(folder, c.field) : onnxModel(folder, c.field);
      c.setup?.(folder);
      c.modelFile?.(file);
      return { id: c.id, format: c.format, source: file };
    });
    await runAll(runnerCases);
    prepared = true;
  }, 300_000);

  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  it('covers both formats, every kind of case', () => {
    expect(prepared).toBe(true);
    expect(list.filter((c) => c.format === 'tfjs').length).toBeGreaterThanOrEqual(25);
    expect(list.filter((c) => c.format === 'onnx').length).toBe(list.filter((c) => c.format === 'tfjs').length);
  });

  for (const format of ['tfjs', 'onnx'] as const) {
    it(`${format}: each case ends as expected`, () => {
      const failures: string[] = [];
      const secretFloats = Array.from(new Float32Array(SECRET.buffer));
      const secretBytes = Array.from(SECRET);
      for (const c of list.filter((x) => x.format === format)) {
        const o = outcomes.get(c.id);
        const problem = check(c, o, secretFloats, secretBytes);
        if (problem !== undefined) failures.push(`${c.id}: ${problem}`);
      }
      expect(failures).toEqual([]);
    });
  }
});

function check(c: Case, o: Outcome | undefined, secretFloats: number[], secretBytes: number[]): string | undefined {
  if (o === undefined) return 'no outcome';
  // ONNX: a tensor's errors reach the caller as the node's OnnxImportError; the model file's are OnnxFormatError.
  const errorClass = c.format === 'tfjs' ? 'TfjsImportError' : c.modelFile ? 'OnnxFormatError' : 'OnnxImportError';
  switch (o.kind) {
    case 'timeout':
    case 'memory':
    case 'crash':
      return `${o.kind}: ${o.detail}`;
    case 'ok': {
      const fromOutside = c.format === 'tfjs' ? secretBytes : secretFloats;
      if (o.logits.length === fromOutside.length && o.logits.every((v, i) => v === fromOutside[i])) {
        return 'loaded, and the logits equal the outside file\'s bytes: it was read';
      }
      if (!(c.expect instanceof Uint8Array)) return `loaded (logits ${o.logits.slice(0, 4).join(', ')}, …), expected ${errorClass} ${c.expect}`;
      const inside = c.format === 'tfjs' ? Array.from(c.expect) : Array.from(new Float32Array(c.expect.slice().buffer));
      return o.logits.every((v, i) => v === inside[i]) && o.logits.length === inside.length ? undefined : 'loaded, but the logits are not the inside file\'s bytes';
    }
    case 'error': {
      if (o.message.includes(outside)) return `the message names the outside path: ${o.message}`;
      if (o.message.includes(String(SIZED_BYTES))) return `the message gives the outside file's size: ${o.message}`;
      if (c.expect instanceof Uint8Array) return `expected a load, got ${o.error}: ${o.message}`;
      if (o.error !== errorClass) return `expected ${errorClass}, got ${o.error}: ${o.message}`;
      return c.expect.test(o.message) ? undefined : `message ${JSON.stringify(o.message)} does not match ${c.expect}`;
    }
  }
}
