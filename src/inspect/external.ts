/**
 * Where the files a model names stand: inside its folder or not, present, and their size — found
 * by opening them through src/io/model-files.ts exactly as the loaders do (same path rule, same
 * link-by-link confinement, regular files only), reading nothing but fstat. A path that escapes
 * the folder is never opened and its size never reported.
 */
import { relativePathProblem } from '../io/relative-path.js';
import type { ExternalFile, ExternalStatus } from './report.js';

/** Why a file could not be opened, recognised from model-files.ts' messages. */
class ProbeError extends Error {}

export interface Probe {
  status: Extract<ExternalStatus, 'ok' | 'missing' | 'outside' | 'unreadable'>;
  size?: number;
  detail?: string;
}

/** Opens files under one folder; Node only (loads model-files.ts on first use). */
export class FolderProbe {
  private folder?: { open(relative: string, what: string, fail: (m: string) => Error): { size: number; close(): void } };
  private folderProblem?: string;

  private constructor(private readonly files: typeof import('../io/model-files.js'), private readonly dir: string) {}

  static async create(dir: string): Promise<FolderProbe> {
    return new FolderProbe(await import('../io/model-files.js'), dir);
  }

  /** Status and (inside the folder only) size of `relative`. */
  probe(relative: string): Probe {
    const problem = relativePathProblem(relative);
    if (problem !== undefined) return { status: 'outside', detail: `outside the model folder: ${problem}` };
    const fail = (m: string) => new ProbeError(m);
    if (this.folder === undefined && this.folderProblem === undefined) {
      try {
        this.folder = new this.files.ModelFolder(this.dir, 'the model', fail);
      } catch (e) {
        this.folderProblem = (e as Error).message;
      }
    }
    if (this.folder === undefined) return { status: 'unreadable', detail: this.folderProblem };
    try {
      const file = this.folder.open(relative, 'the file', fail);
      const size = file.size;
      file.close();
      return { status: 'ok', size };
    } catch (e) {
      if (!(e instanceof ProbeError)) throw e;
      // model-files.ts words these two cases so; any other refusal is the file itself.
      if (/leads outside the model's folder/.test(e.message)) return { status: 'outside', detail: "outside the model folder: a link that leads out of it (or to nothing)" };
      if (/is not found in the model's folder/.test(e.message)) return { status: 'missing', detail: 'not in the model folder' };
      return { status: 'unreadable', detail: e.message.replace(/^the file /, '') };
    }
  }
}

/** The entry for a file that could not be looked for (the model came as bytes). */
export function notChecked(path: string, referencedBy: string, extra: Partial<ExternalFile> = {}): ExternalFile {
  const outside = relativePathProblem(path);
  return outside !== undefined
    ? { path, referencedBy, ...extra, status: 'outside', detail: `outside the model folder: ${outside}` }
    : { path, referencedBy, ...extra, status: 'not-checked', detail: 'the model was given as bytes; there is no folder to look in' };
}

/** A TF.js weights manifest group: its shard paths and the bytes its weights take (undefined: not computable). */
export interface ShardGroup {
  paths: readonly string[];
  byteLength?: number;
}

/**
 * Every shard of every group: inside and present, and — a group's shards being one byte stream
 * cut into files — whether each complete group's shards add up to the group's bytes.
 */
export function shardFiles(groups: readonly ShardGroup[], probe: FolderProbe | undefined): ExternalFile[] {
  return groups.flatMap((group, gi) => {
    const expected = group.byteLength !== undefined ? { expectedBytes: group.byteLength } : {};
    const files = group.paths.map((path, pi): ExternalFile => {
      const referencedBy = `weightsManifest[${gi}].paths[${pi}]`;
      if (probe === undefined) return notChecked(path, referencedBy, { group: gi, ...expected });
      return { path, referencedBy, group: gi, ...expected, ...probe.probe(path) };
    });
    if (probe !== undefined && group.byteLength !== undefined && files.every((f) => f.status === 'ok')) {
      const total = files.reduce((s, f) => s + f.size!, 0);
      if (total !== group.byteLength) {
        const detail = `the shards of weightsManifest[${gi}] hold ${total} bytes, its weights need ${group.byteLength}`;
        for (const f of files) Object.assign(f, { status: 'wrong-size', detail });
      }
    }
    return files;
  });
}
