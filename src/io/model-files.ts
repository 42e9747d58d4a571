/**
 * Opening the files a model loader reads (Node only; importers load this module with a dynamic
 * import, so browser bundles never see node:fs).
 *
 * Model files are untrusted. A file a model names (a TF.js shard, ONNX external data) is opened
 * only when all of these hold:
 * - its path passes `relativePathProblem` (no absolute path, `..`, backslash, escaped separator);
 * - every component resolves, link by link, inside the real path of the model's folder (links
 *   whose targets stay inside are fine; a link out of the folder, or to nothing, is refused
 *   without saying which: the answer would tell whether an outside path exists);
 * - it is a regular file (a FIFO, device, socket or directory is refused before it is opened);
 * - it is opened with O_NONBLOCK (a FIFO swapped in cannot block the open) and O_NOFOLLOW, and the
 *   descriptor's fstat is the same device and inode as the file checked, a regular file.
 * The model file the caller names is the caller's choice of location, so it is not confined to a
 * folder, but it too must be a regular file, opened the same way, of at most a given size.
 *
 * Callers compare `size` (from fstat) with what the manifest or tensor needs before reading, and
 * read only that byte range: nothing is ever sized from a file. Messages name the entry (`what`)
 * and never an outside path or its size.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readlinkSync, readSync, realpathSync, statSync, type Stats } from 'node:fs';
import { join, sep } from 'node:path';
import { RELATIVE_PATH_RULE, relativePathProblem } from './relative-path.js';

/** Builds the importer's own error class from a message. */
export type MakeError = (message: string) => Error;

/** An open regular file; `size` is from fstat of the descriptor. */
export interface ModelFile {
  readonly size: number;
  /** Device and inode: equal for two opens of the same file. */
  readonly id: string;
  /** Reads exactly `length` bytes at `position` into `target` at `targetOffset`. */
  readInto(target: Uint8Array, targetOffset: number, position: number, length: number): void;
  /** Reads exactly `length` bytes at `position` into a new array. */
  read(position: number, length: number): Uint8Array;
  close(): void;
}

/** Largest single read: `readSync` takes at most 2^31 − 1 bytes. */
const READ_CHUNK = 1 << 30;

const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const O_NONBLOCK = constants.O_NONBLOCK ?? 0;

/** What a non-regular file is, for messages. */
function kindOf(s: Stats): string {
  if (s.isDirectory()) return 'a directory';
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isSocket()) return 'a socket';
  if (s.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

const notRegular = (what: string, s: Stats) => `${what} is ${kindOf(s)}, not a regular file; point it at the data file itself`;

function code(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? 'an I/O error';
}

/**
 * Opens `real` (a path already checked) and checks the descriptor is the file `checked` that
 * was stat'ed: no swap for another file, link or FIFO between the check and the open.
 */
export function openChecked(real: string, checked: Stats, follow: boolean, what: string, fail: MakeError): ModelFile {
  let fd: number;
  try {
    fd = openSync(real, constants.O_RDONLY | O_NONBLOCK | (follow ? 0 : O_NOFOLLOW));
  } catch (e) {
    throw fail(`${what} cannot be opened (${code(e)}); check that it is a readable file`);
  }
  try {
    const s = fstatSync(fd);
    if (!s.isFile()) throw fail(notRegular(what, s));
    if (s.dev !== checked.dev || s.ino !== checked.ino || !sameOpenPath(fd, real, follow)) {
      throw fail(`${what} changed while it was being opened; load the model again once its folder is no longer being modified`);
    }
    return new OpenFile(fd, s.size, `${s.dev}:${s.ino}`, what, fail);
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/** Where the kernel says `fd` points (Linux /proc), equal to `real`; true where that cannot be asked. */
function sameOpenPath(fd: number, real: string, follow: boolean): boolean {
  if (follow) return true;
  let opened: string;
  try {
    opened = readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return true;
  }
  return opened === real;
}

class OpenFile implements ModelFile {
  private open = true;

  constructor(private readonly fd: number, readonly size: number, readonly id: string, private readonly what: string, private readonly fail: MakeError) {}

  readInto(target: Uint8Array, targetOffset: number, position: number, length: number): void {
    if (position + length > this.size) throw this.fail(`${this.what}: bytes ${position}..${position + length} lie past its end (${this.size} bytes)`);
    let done = 0;
    while (done < length) {
      const got = readSync(this.fd, target, targetOffset + done, Math.min(length - done, READ_CHUNK), position + done);
      if (got === 0) throw this.fail(`${this.what} became shorter while it was being read; load the model again once it is no longer being modified`);
      done += got;
    }
  }

  read(position: number, length: number): Uint8Array {
    let out: Uint8Array;
    try {
      out = new Uint8Array(length);
    } catch {
      throw this.fail(`${this.what}: ${length} bytes cannot be allocated in this runtime`);
    }
    this.readInto(out, 0, position, length);
    return out;
  }

  close(): void {
    if (this.open) closeSync(this.fd);
    this.open = false;
  }
}

/**
 * Reads the model file the caller named (model.json, model.onnx): a regular file (a link to one
 * is fine) of at most `maxBytes`, read whole. `what` names it in messages.
 */
export function readModelFile(path: string, maxBytes: number, what: string, fail: MakeError): Uint8Array {
  let s: Stats;
  try {
    s = statSync(path);
  } catch (e) {
    throw fail(code(e) === 'ENOENT' ? `${what}: file not found` : `${what}: cannot be read (${code(e)})`);
  }
  if (!s.isFile()) throw fail(notRegular(what, s));
  const file = openChecked(path, s, true, what, fail);
  try {
    if (file.size > maxBytes) throw fail(`${what} has ${file.size} bytes, more than the ${maxBytes} a model file of this kind may have; is it the right file?`);
    return file.read(0, file.size);
  } finally {
    file.close();
  }
}

/** True when `path` is a directory (following links); false when it is anything else or absent. */
export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The folder a model's other files must stay in: its real path, resolved once. */
export class ModelFolder {
  private readonly real: string;

  /**
   * `what` names the folder in messages (the caller gave it, so its path may be shown); `noun` is
   * how messages refer to it ("the model's folder", or e.g. "the calibration folder").
   */
  constructor(dir: string, what: string, fail: MakeError, private readonly noun = "the model's folder") {
    let s: Stats;
    try {
      this.real = realpathSync(dir);
      s = statSync(this.real);
    } catch (e) {
      throw fail(`${what}: ${noun} cannot be read (${code(e)})`);
    }
    if (!s.isDirectory()) throw fail(`${what}: ${noun} is not a directory`);
  }

  /**
   * Opens `relative` (a path from the model file) under the rules above. `what` names the entry
   * that gave the path (`weightsManifest[0].paths[1] 'x'`, a tensor's external data).
   */
  open(relative: string, what: string, fail: MakeError): ModelFile {
    const problem = relativePathProblem(relative);
    if (problem !== undefined) throw fail(`${what} ${RELATIVE_PATH_RULE}: ${problem}`);
    const real = this.resolveInside(relative, what, fail);
    let s: Stats;
    try {
      s = lstatSync(real);
    } catch (e) {
      throw fail(`${what} cannot be read (${code(e)})`);
    }
    if (!s.isFile()) throw fail(notRegular(what, s));
    return openChecked(real, s, false, what, fail);
  }

  private inside(p: string): boolean {
    return p === this.real || p.startsWith(this.real.endsWith(sep) ? this.real : this.real + sep);
  }

  /**
   * The real path of `relative`, resolved one component at a time so that no step leaves the
   * folder: each prefix's real path must be inside it before the next component is looked up.
   */
  private resolveInside(relative: string, what: string, fail: MakeError): string {
    const leaves = () => fail(`${what} leads outside ${this.noun} (a link to elsewhere, or to nothing); copy the file into the folder instead of linking to it`);
    let current = this.real;
    for (const part of relative.split('/')) {
      if (part === '' || part === '.') continue;
      const next = join(current, part);
      let real: string;
      try {
        real = realpathSync(next);
      } catch (e) {
        const c = code(e);
        if (c !== 'ENOENT' && c !== 'ENOTDIR' && c !== 'ELOOP') throw fail(`${what} cannot be read (${c})`);
        let present = false;
        try {
          present = lstatSync(next).isSymbolicLink();
        } catch {
          // absent from the folder
        }
        if (present) throw leaves();
        throw fail(`${what} is not found in ${this.noun}; put the file next to the model file, or fix the path`);
      }
      if (!this.inside(real)) throw leaves();
      current = real;
    }
    return current;
  }
}
