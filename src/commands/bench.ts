/**
 * `inception-wasm bench`: the end-to-end benchmark against onnxruntime-web, tfjs-backend-wasm and
 * onnxruntime-node (bench/run.ts). The harness, its peers and their devDependencies live in the
 * repository, not in the npm package, so this command runs it from a checkout: it spawns
 * `node --import tsx bench/run.ts <args>` with the terminal attached and passes its exit status on.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { UsageError, type CliCommand, type Values } from './command.js';

/** src/commands/ and dist/commands/ both sit two levels below the repository root. */
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const HARNESS = path.join(REPO_ROOT, 'bench', 'run.ts');

const PASSED_ON = [
  'model', 'threads', 'runs', 'warmup', 'primer', 'size', 'runtimes', 'ours', 'build', 'out', 'name', 'tolerance',
  'precision', 'int8-tolerance', 'calibration', 'chromium',
] as const;
const FLAGS = ['peers', 'no-peers', 'json', 'relaxed-simd', 'browser'] as const;

/** The harness's argv for the parsed CLI values (it validates them itself). */
export function benchArgv(v: Values): string[] {
  const argv: string[] = [];
  for (const name of PASSED_ON) if (v[name] !== undefined) argv.push(`--${name}`, String(v[name]));
  for (const name of FLAGS) if (v[name]) argv.push(`--${name}`);
  return argv;
}

function tsxLoader(): string {
  try {
    return pathToFileURL(createRequire(path.join(REPO_ROOT, 'package.json')).resolve('tsx')).href;
  } catch {
    throw new Error('the benchmark needs the repository\'s devDependencies (tsx, the peers): run `npm ci` in the checkout first');
  }
}

async function run(v: Values): Promise<void> {
  if (!existsSync(HARNESS)) {
    throw new Error(
      `the benchmark runs from a checkout of the repository (bench/ is not in the npm package; looked for ${HARNESS}): ` +
        'clone it, `npm ci`, then `npm run bench` or `npx tsx src/cli.ts bench`',
    );
  }
  const child = spawn(process.execPath, ['--import', tsxLoader(), HARNESS, ...benchArgv(v)], { cwd: REPO_ROOT, stdio: 'inherit' });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (c) => resolve(c));
  });
  if (code === 2) throw new UsageError('the benchmark rejected its arguments (its message is above)');
  if (code !== 0) throw new Error(`the benchmark failed (exit ${code ?? 'signal'}); its output is above`);
}

export const bench: CliCommand = {
  summary: 'end-to-end latency, cold start and memory of the networks, side by side with onnxruntime-web, tfjs-backend-wasm and onnxruntime-node (from a repository checkout)',
  usage:
    'inception-wasm bench [--model m[,m…]|all] [--threads 1,2] [--runs n] [--warmup n] [--primer n] [--size px] [--peers | --no-peers] ' +
    '[--runtimes ort-web,tfjs-wasm,ort-node] [--ours auto|src|dist] [--build auto|baseline|relaxed] [--json] [--out dir] [--name stem] [--relaxed-simd] [--tolerance t] ' +
    '[--precision f32,int8] [--int8-tolerance t] [--calibration n] [--browser [--chromium path]]',
  options: {
    model: { type: 'string' }, threads: { type: 'string' }, runs: { type: 'string' }, warmup: { type: 'string' }, primer: { type: 'string' }, size: { type: 'string' },
    runtimes: { type: 'string' }, ours: { type: 'string' }, build: { type: 'string' }, out: { type: 'string' }, name: { type: 'string' }, tolerance: { type: 'string' },
    precision: { type: 'string' }, 'int8-tolerance': { type: 'string' }, calibration: { type: 'string' }, chromium: { type: 'string' },
    peers: { type: 'boolean' }, 'no-peers': { type: 'boolean' }, json: { type: 'boolean' }, 'relaxed-simd': { type: 'boolean' }, browser: { type: 'boolean' },
  },
  run,
};
