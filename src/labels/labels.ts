/**
 * Class names for a network's outputs: the shipped ImageNet list (1000 classes, or 1001 with
 * tf-slim's background class at output 0), or a user's own list, one name per line.
 */
import { IMAGENET_CLASSES } from './imagenet.js';

export { IMAGENET_CLASSES };

/** tf-slim's extra output 0 (reference §2.5): output k+1 is standard class k. */
export const BACKGROUND_LABEL = 'background';

/**
 * The labels for a network with `classes` outputs: 1000 → the ImageNet list; 1001 → 'background'
 * then the ImageNet list (tf-slim checkpoints); anything else → undefined (bring a list).
 */
export function imagenetLabels(classes: number): readonly string[] | undefined {
  if (classes === 1000) return IMAGENET_CLASSES;
  if (classes === 1001) return [BACKGROUND_LABEL, ...IMAGENET_CLASSES];
  return undefined;
}

/**
 * Parses a label file: one name per line, in output order. Trailing whitespace and a final empty
 * line are ignored (as are `\r\n` line ends); an empty line in the middle is an error, since it
 * would shift every following class.
 */
export function parseLabels(text: string, name = 'labels'): string[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/).map((l) => l.trimEnd());
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const blank = lines.indexOf('');
  if (blank >= 0) throw new Error(`${name}: line ${blank + 1} is empty; a label file has one class name per line, in output order`);
  if (lines.length === 0) throw new Error(`${name}: no labels (expected one class name per line)`);
  return lines;
}

/** Reads and parses a label file (Node). Errors name the path. */
export async function loadLabels(path: string): Promise<string[]> {
  const { readFile } = await import('node:fs/promises');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new Error(`cannot read labels '${path}': ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
  }
  return parseLabels(text, path);
}
