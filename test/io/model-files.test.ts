/**
 * model-files.ts and relative-path.ts on their own: which paths a model may give, which files a
 * folder opens (regular files whose real path stays inside it), what the model file the caller
 * names may be, and that sizes come from the open descriptor and reads stay in range.
 */
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDirectory, ModelFolder, openChecked, readModelFile } from '../../src/io/model-files.js';
import { relativePathProblem } from '../../src/io/relative-path.js';

class TestError extends Error {
  override name = 'TestError';
}
const fail = (m: string) => new TestError(m);

/** The error `f` throws (its message), or 'no error'. */
function thrown(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TestError);
    return (e as Error).message;
  }
  return 'no error';
}

describe('relativePathProblem', () => {
  it.each([
    ['a.bin'], ['group1-shard1of2'], ['sub/a.bin'], ['./a.bin'], ['a/./b.bin'], ['a%20b.bin'], ['..a.bin'], ['a..b'], ['sub//a.bin'],
  ])('accepts %j', (p) => {
    expect(relativePathProblem(p)).toBeUndefined();
  });

  it.each([
    ['', /empty/], ['/etc/passwd', /absolute/], ['../a.bin', /'\.\.' segment/], ['sub/../../a.bin', /'\.\.' segment/], ['sub/..', /'\.\.' segment/],
    ['..\\a.bin', /backslash/], ['sub\\a.bin', /backslash/], ['C:\\a.bin', /backslash/], ['C:a.bin', /drive letter or a URL scheme/],
    ['file:///etc/passwd', /drive letter or a URL scheme/], ['https://example.com/a.bin', /drive letter or a URL scheme/],
    ['%2e%2e/a.bin', /'%2e'/], ['%2E%2E%2Fa.bin', /'%2E'/], ['sub%2f..%2fa', /'%2f'/], ['a%5cb', /'%5c'/], ['a%00b', /'%00'/], ['a\0b', /NUL/],
  ])('rejects %j', (p, reason) => {
    expect(relativePathProblem(p)).toMatch(reason);
  });
});

describe('ModelFolder and readModelFile', () => {
  let root: string;
  let folder: string;
  let outside: string;
  const DATA = Uint8Array.from({ length: 100 }, (_, i) => i * 3);

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'model-files-'));
    folder = join(root, 'model');
    outside = join(root, 'outside');
    mkdirSync(join(folder, 'sub'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(join(folder, 'data.bin'), DATA);
    writeFileSync(join(folder, 'sub', 'inner.bin'), DATA.subarray(0, 10));
    writeFileSync(join(outside, 'secret.bin'), DATA);
    symlinkSync('data.bin', join(folder, 'link-in.bin'));
    symlinkSync('../data.bin', join(folder, 'sub', 'up-in.bin'));
    symlinkSync('sub', join(folder, 'sub-link'));
    symlinkSync(join(outside, 'secret.bin'), join(folder, 'link-out.bin'));
    symlinkSync(outside, join(folder, 'dir-out'));
    symlinkSync(join(outside, 'absent.bin'), join(folder, 'dangling.bin'));
    symlinkSync('loop-b', join(folder, 'loop-a'));
    symlinkSync('loop-a', join(folder, 'loop-b'));
    expect(spawnSync('mkfifo', [join(folder, 'pipe')]).status).toBe(0);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const open = (p: string) => new ModelFolder(folder, 'the folder', fail).open(p, `entry '${p}'`, fail);

  it('reads a file inside, and files reached through links that stay inside', () => {
    for (const p of ['data.bin', './data.bin', 'link-in.bin', 'sub/up-in.bin', 'sub-link/inner.bin']) {
      const f = open(p);
      try {
        const want = p.includes('inner') ? DATA.subarray(0, 10) : DATA;
        expect(f.size, p).toBe(want.length);
        expect(Array.from(f.read(0, f.size)), p).toEqual(Array.from(want));
        expect(Array.from(f.read(5, 3)), p).toEqual(Array.from(want.subarray(5, 8)));
      } finally {
        f.close();
      }
    }
  });

  it('refuses links out of the folder, dangling links and loops with one message that says nothing of the target', () => {
    for (const p of ['link-out.bin', 'dir-out/secret.bin', 'dangling.bin', 'loop-a']) {
      const m = thrown(() => open(p));
      expect(m, p).toBe(`entry '${p}' leads outside the model's folder (a link to elsewhere, or to nothing); copy the file into the folder instead of linking to it`);
      expect(m).not.toContain(outside);
    }
  });

  it('refuses a path that is not relative before touching the disk', () => {
    expect(thrown(() => open('../outside/secret.bin'))).toBe("entry '../outside/secret.bin' must be a relative path inside the model's folder: it has a '..' segment");
    expect(thrown(() => open(join(outside, 'secret.bin')))).toMatch(/must be a relative path inside the model's folder: it is absolute$/);
  });

  it('names a missing file, a directory, a FIFO and a device (without blocking on the FIFO)', () => {
    expect(thrown(() => open('absent.bin'))).toMatch(/^entry 'absent\.bin' is not found in the model's folder/);
    expect(thrown(() => open('data.bin/x'))).toMatch(/is not found in the model's folder/);
    expect(thrown(() => open('sub'))).toMatch(/^entry 'sub' is a directory, not a regular file/);
    expect(thrown(() => open('.'))).toMatch(/is a directory, not a regular file/);
    expect(thrown(() => open('pipe'))).toMatch(/^entry 'pipe' is a FIFO \(named pipe\), not a regular file/);
    const dev = join(folder, 'zero');
    if (spawnSync('mknod', [dev, 'c', '1', '5']).status === 0) {
      expect(thrown(() => open('zero'))).toMatch(/is a character device, not a regular file/);
    }
  });

  it('a folder that does not exist or is a file', () => {
    expect(thrown(() => new ModelFolder(join(root, 'nowhere'), 'the folder', fail))).toMatch(/^the folder: the model's folder cannot be read \(ENOENT\)/);
    expect(thrown(() => new ModelFolder(join(folder, 'data.bin'), 'the folder', fail))).toMatch(/the model's folder is not a directory/);
  });

  it('reads stay in range and notice a file that shrank after it was opened', () => {
    const path = join(root, 'shrinks.bin');
    writeFileSync(path, DATA);
    const f = new ModelFolder(root, 'root', fail).open('shrinks.bin', 'shrinks', fail);
    try {
      expect(thrown(() => f.read(90, 20))).toBe('shrinks: bytes 90..110 lie past its end (100 bytes)');
      truncateSync(path, 50);
      expect(f.size).toBe(100); // fstat at open; the read notices
      expect(thrown(() => f.read(0, 100))).toMatch(/^shrinks became shorter while it was being read/);
    } finally {
      f.close();
    }
  });

  it('openChecked refuses a descriptor that is not the file that was checked', () => {
    const checked = lstatSync(join(folder, 'sub', 'inner.bin'));
    expect(thrown(() => openChecked(join(folder, 'data.bin'), checked, false, 'swapped', fail))).toMatch(/^swapped changed while it was being opened/);
    const same = openChecked(join(folder, 'data.bin'), lstatSync(join(folder, 'data.bin')), false, 'same', fail);
    same.close();
  });

  it('readModelFile: a regular file (a link to one is fine) of bounded size', () => {
    expect(Array.from(readModelFile(join(folder, 'data.bin'), 100, 'model', fail))).toEqual(Array.from(DATA));
    expect(Array.from(readModelFile(join(folder, 'link-out.bin'), 100, 'model', fail))).toEqual(Array.from(DATA));
    expect(thrown(() => readModelFile(join(folder, 'data.bin'), 99, 'model', fail))).toMatch(/^model has 100 bytes, more than the 99 a model file of this kind may have/);
    expect(thrown(() => readModelFile(join(folder, 'absent'), 99, 'model', fail))).toBe('model: file not found');
    expect(thrown(() => readModelFile(join(folder, 'pipe'), 99, 'model', fail))).toMatch(/^model is a FIFO \(named pipe\), not a regular file/);
    expect(thrown(() => readModelFile('/dev/zero', 99, 'model', fail))).toMatch(/^model is a character device, not a regular file/);
    expect(thrown(() => readModelFile(folder, 99, 'model', fail))).toMatch(/^model is a directory, not a regular file/);
  });

  it('isDirectory', () => {
    expect(isDirectory(folder)).toBe(true);
    expect(isDirectory(join(folder, 'sub-link'))).toBe(true);
    expect(isDirectory(join(folder, 'data.bin'))).toBe(false);
    expect(isDirectory(join(folder, 'absent'))).toBe(false);
  });
});
