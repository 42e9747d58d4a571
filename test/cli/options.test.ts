/**
 * Command-line usage errors: every numeric option of every command is parsed by one helper
 * (decimal digits only, within its range, MAX_THREADS for --threads), a size below the
 * network's minimum is a usage error for every command, and a command name or option value
 * that names an Object prototype member is unknown — each exits 2 with a message naming the
 * argument and the fix. Also: classify checks every image's header before it loads the model.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { afterAll, describe, expect, it } from 'vitest';
import { classify } from '../../src/commands/classify.js';
import { UsageError, type Values } from '../../src/commands/command.js';
import { demo } from '../../src/commands/demo.js';
import { draw } from '../../src/commands/draw.js';
import { exportCommand } from '../../src/commands/export.js';
import { info } from '../../src/commands/info.js';
import { MAX_THREADS } from '../../src/limits.js';
import { runCli } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'cli-options-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function jpegFile(name: string, width = 24, height = 16, edit?: (b: Uint8Array) => void): string {
  const data = Buffer.alloc(width * height * 4, 90);
  const bytes = new Uint8Array(jpeg.encode({ data, width, height }, 80).data);
  edit?.(bytes);
  const file = join(dir, name);
  writeFileSync(file, bytes);
  return file;
}

/** Patches the SOF0 frame size of a JPEG. */
const declaring = (width: number, height: number) => (b: Uint8Array) => {
  for (let p = 2; p + 9 < b.length;) {
    if (b[p + 1] === 0xc0) { b.set([height >> 8, height & 255, width >> 8, width & 255], p + 5); return; }
    p += 2 + ((b[p + 2] << 8) | b[p + 3]);
  }
};

const commands = { classify, demo, draw, export: exportCommand, info };

describe('numeric options: one parser, every command', () => {
  const good = jpegFile('good.jpg');
  const base: Record<keyof typeof commands, Values> = {
    classify: { model: 'googlenet', size: '96', threads: '1' },
    demo: { model: 'googlenet', size: '96', threads: '1', runs: '1' },
    draw: { model: 'googlenet', size: '96' },
    export: { model: 'googlenet', size: '96', out: join(dir, 'm.onnx') },
    info: { model: 'googlenet', size: '96' },
  };
  it.each([
    { command: 'classify', option: 'size', value: '0', message: /--size 0 is too small for googlenet \(torchvision\); the smallest input it builds for is 15/ },
    { command: 'info', option: 'size', value: '1x1', message: /--size 1x1 is too small for googlenet \(torchvision\); the smallest input it builds for is 15/ },
    { command: 'draw', option: 'size', value: '8', message: /--size 8 is too small for googlenet/ },
    { command: 'export', option: 'size', value: '0x96', message: /--size 0x96 is too small for googlenet/ },
    { command: 'demo', option: 'size', value: '12', message: /--size 12 is too small for googlenet/ },
    { command: 'info', option: 'size', value: '99999', message: /--size must be .* at most 8192, got '99999'/ },
    { command: 'demo', option: 'threads', value: String(MAX_THREADS + 1), message: new RegExp(`--threads must be an integer from 0 to ${MAX_THREADS} \\(0: one per core\\), got '${MAX_THREADS + 1}'`) },
    { command: 'classify', option: 'threads', value: '-1', message: /--threads must be an integer from 0 to 64/ },
    { command: 'info', option: 'threads', value: '1.5', message: /--threads must be an integer from 0 to 64/ },
    { command: 'demo', option: 'threads', value: '0x2', message: /--threads must be an integer from 0 to 64 .*got '0x2'/ },
    { command: 'demo', option: 'runs', value: '1e3', message: /--runs must be an integer from 1 to \d+, got '1e3'/ },
    { command: 'demo', option: 'runs', value: '', message: /--runs must be an integer from 1/ },
    { command: 'classify', option: 'top', value: '0', message: /--top must be an integer from 1 to \d+, got '0'/ },
    { command: 'classify', option: 'top', value: ' 3', message: /--top must be an integer from 1/ },
    { command: 'classify', option: 'crop', value: '0x1', message: /--crop must be a fraction in \(0, 1\] \(e\.g\. 0\.875\) or 'none'/ },
    { command: 'info', option: 'batch', value: '99999999999', message: /--batch must be an integer from 1 to \d+, got '99999999999'/ },
    { command: 'info', option: 'repeats', value: '0', message: /--repeats must be an integer from 1/ },
    { command: 'info', option: 'variant', value: 'constructor', message: /--variant 'constructor' is unknown for googlenet; one of: torchvision, caffe, tf/ },
    { command: 'draw', option: 'variant', value: '__proto__', message: /--variant '__proto__' is unknown for googlenet/ },
    { command: 'classify', option: 'preset', value: 'constructor', message: /--preset 'constructor' is unknown; valid presets: torchvision/ },
  ] as const)('$command --$option \'$value\' → UsageError', async ({ command, option, value, message }) => {
    const failure = commands[command].run({ ...base[command], [option]: value }, command === 'classify' ? [good] : []);
    await expect(failure).rejects.toThrow(message);
    await expect(failure).rejects.toBeInstanceOf(UsageError);
  });
});

describe('classify checks every image before loading the model', () => {
  it.each([
    { case: 'a JPEG whose header declares 9999×9999 (memory)', file: () => jpegFile('huge.jpg', 24, 16, declaring(9999, 9999)), message: /huge\.jpg: decoding this 9999×9999 JPEG needs about \d+ MiB, over the limit of 512 MiB/ },
    { case: 'a JPEG declaring 4000×4000 with 1 kB of data', file: () => jpegFile('short.jpg', 24, 16, declaring(4000, 4000)), message: /short\.jpg: cannot decode this JPEG \(truncated or corrupt\?\): \d+ bytes of image data cannot hold a 4000×4000 image/ },
    { case: 'a JPEG cut before its end', file: () => { const f = jpegFile('cut.jpg'); const b = new Uint8Array(readFileSync(f)); writeFileSync(f, b.subarray(0, b.length - 40)); return f; }, message: /cut\.jpg: cannot decode this JPEG \(truncated or corrupt\?\)/ },
  ])('$case, as the 5th image, fails in well under the model load (< 1 s; the load takes seconds)', async ({ file, message }) => {
    const good = jpegFile('ok.jpg');
    const t0 = performance.now();
    const failure = classify.run({ model: 'inception_v3', threads: '1' }, [good, good, good, good, file()]);
    await expect(failure).rejects.toThrow(message);
    await expect(failure).rejects.not.toBeInstanceOf(UsageError);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

const cli = (args: string[]) => runCli(args);

describe('subprocess: usage errors exit 2', () => {
  it.each([
    { args: ['constructor'], message: /inception-wasm: unknown command 'constructor'/ },
    { args: ['__proto__'], message: /inception-wasm: unknown command '__proto__'/ },
    { args: ['toString'], message: /inception-wasm: unknown command 'toString'/ },
    { args: ['demo', '--model', 'googlenet', '--threads', String(MAX_THREADS + 1)], message: /--threads must be an integer from 0 to 64/ },
    { args: ['info', '--model', 'googlenet', '--size', '1x1'], message: /--size 1x1 is too small for googlenet/ },
    { args: ['demo', '--threads', '-1'], message: /Option '--threads' argument is ambiguous\. A value starting with '-' is written --option=-value/ },
    { args: ['demo', '--threads=-1'], message: /--threads must be an integer from 0 to 64 \(0: one per core\), got '-1'/ },
    { args: ['info', '--modle', 'googlenet'], message: /unknown option '--modle'; did you mean '--model'\?/ },
  ])('$args → exit 2', async ({ args, message }) => {
    const r = await cli(args);
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(2);
  });
});
