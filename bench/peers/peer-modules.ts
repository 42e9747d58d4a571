/**
 * Finding and loading the peer runtimes' packages. They are devDependencies of the repository
 * (bench/peers/NEEDS.md); `INCEPTION_BENCH_PEERS=<dir>` points at another folder whose
 * node_modules holds them instead (e.g. other versions) and is searched first.
 * A missing package is a `PeerUnavailable` that names the install command, never a crash.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The versions the benchmark was written against (issue 6). */
export const PEER_PACKAGES = {
  'onnxruntime-web': '1.30.0',
  '@tensorflow/tfjs-backend-wasm': '4.22.0',
  'onnxruntime-node': '1.30.0',
} as const;
export type PeerPackage = keyof typeof PEER_PACKAGES;

export class PeerUnavailable extends Error {
  override name = 'PeerUnavailable';
}

function searchBases(): string[] {
  const extra = process.env.INCEPTION_BENCH_PEERS;
  return [...(extra ? [path.resolve(extra, 'package.json')] : []), path.join(REPO_ROOT, 'package.json')];
}

export interface ResolvedPackage {
  name: string;
  version: string;
  /** The package's folder. */
  dir: string;
  /** A `require` that resolves from inside the package (its own dependencies). */
  require: NodeJS.Require;
}

/** Locates `name` (its folder and version) or throws `PeerUnavailable` with the install command. */
export function resolvePeer(name: PeerPackage): ResolvedPackage {
  for (const base of searchBases()) {
    let main: string;
    try {
      main = createRequire(base).resolve(name);
    } catch {
      continue;
    }
    let dir = path.dirname(main);
    while (!existsSync(path.join(dir, 'package.json')) || JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).name !== name) {
      const up = path.dirname(dir);
      if (up === dir) throw new PeerUnavailable(`${name}: found ${main} but not its package.json`);
      dir = up;
    }
    const version = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).version as string;
    return { name, version, dir, require: createRequire(path.join(dir, 'package.json')) };
  }
  throw new PeerUnavailable(`${name} is not installed — npm i -D ${name}@${PEER_PACKAGES[name]} (see bench/peers/NEEDS.md)`);
}

/** Imports a file of a resolved package by its path inside the package (ESM or CJS). */
export async function importPeerFile<T>(pkg: ResolvedPackage, file: string): Promise<T> {
  return (await import(pathToFileURL(path.join(pkg.dir, file)).href)) as T;
}
