/**
 * Our engine as a benchmark runtime: `createSession({ graph, weights, threads })` on the case files;
 * for an int8 row `precision: 'int8'` with `calibration: { inputs }` from calibration.bin, the
 * same calibration the harness exported the onnxruntime rows' QDQ model from.
 *
 * Loaded from dist/ (the compiled package, what users run) when it is built and newer than every
 * source file, else from src/ through tsx. The difference matters for cold start only: tsx
 * transforms each module on import and adds ~0.2 s to each worker's start (src/bindings/pool.ts).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { buildNetwork as BuildNetwork } from '../../src/inception/models.js';
import type { createSession as CreateSession } from '../../src/session.js';
import { caseBuildOptions, readCase, readCaseCalibration, readCaseWeights } from './artifacts.js';
import { REPO_ROOT } from './peer-modules.js';
import { oursFeatures, timeSplit } from './ours-info.js';
import type { LoadedRuntime, LoadOptions } from './runtimes.js';

export type OursSource = 'src' | 'dist';

const DIST_SESSION = path.join(REPO_ROOT, 'dist', 'session.js');
const DIST_MODELS = path.join(REPO_ROOT, 'dist', 'inception', 'models.js');

function newestMtimeMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtimeMs(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Where to load our engine from: `'auto'` picks dist/ when dist/session.js exists and is newer than
 * every file under src/, else src/. Returns the choice and, for src/ under 'auto', why.
 */
export function oursSource(choice: 'auto' | OursSource): { source: OursSource; why?: string } {
  if (choice === 'src') return { source: 'src' };
  const built = existsSync(DIST_SESSION);
  if (choice === 'dist') {
    if (!built) throw new Error(`${DIST_SESSION} is missing: run \`npm run build:ts\` first`);
    return { source: 'dist' };
  }
  if (!built) return { source: 'src', why: 'dist/ is not built (`npm run build:ts`)' };
  if (statSync(DIST_SESSION).mtimeMs < newestMtimeMs(path.join(REPO_ROOT, 'src'))) {
    return { source: 'src', why: 'dist/ is older than src/ (`npm run build:ts`)' };
  }
  return { source: 'dist' };
}

export async function loadOurs({ files, threads, precision = 'f32', oursFrom = 'src', oursBuild = 'auto' }: LoadOptions): Promise<LoadedRuntime> {
  // The graph is built by the same copy of the engine that runs it.
  const [{ createSession }, { buildNetwork }] = (oursFrom === 'dist'
    ? await Promise.all([import(pathToFileURL(DIST_SESSION).href), import(pathToFileURL(DIST_MODELS).href)])
    : await Promise.all([import('../../src/session.js'), import('../../src/inception/models.js')])) as [
    { createSession: typeof CreateSession }, { buildNetwork: typeof BuildNetwork },
  ];
  const c = readCase(files);
  const graph = buildNetwork(c.model, caseBuildOptions(c));
  const weights = readCaseWeights(files, graph);
  const int8 = precision === 'int8' ? { precision: 'int8' as const, calibration: { inputs: readCaseCalibration(files, c) } } : {};
  const session = await createSession({ graph, weights, threads, build: oursBuild, ...int8 });
  const version = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version as string;
  return {
    version,
    build: session.info.build,
    threads: session.info.threads,
    arenaBytes: session.info.peakArenaBytes,
    features: oursFeatures(session.info.features),
    notes: [oursFrom === 'dist' ? 'loaded from dist/ (compiled)' : 'loaded from src/ through tsx (cold start includes transforms)'],
    run: async (input) => (await session.run(input)).logits,
    profile: async () => timeSplit(await session.profile({ repeats: 3 })),
    dispose: () => session.dispose(),
  };
}
