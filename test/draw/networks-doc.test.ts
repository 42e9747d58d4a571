/**
 * docs/networks.md and docs/img/*.svg are generated (`npx tsx scripts/gen-networks-doc.ts`):
 * regenerating them in memory must give the committed files, and every SVG must be well-formed
 * and linked from the markdown.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DOC_PATH, IMG_DIR, isGeneratedImage, renderNetworksDoc } from '../../scripts/gen-networks-doc.js';
import { parseXml } from './xml.js';

const ROOT = join(import.meta.dirname, '..', '..');
const REGENERATE = 'stale: run `npx tsx scripts/gen-networks-doc.ts` and commit the result';
const { markdown, files } = renderNetworksDoc();

describe('docs/networks.md (generated)', () => {
  it('equals the committed markdown', () => {
    const committed = readFileSync(join(ROOT, DOC_PATH), 'utf8');
    expect(committed === markdown, `${DOC_PATH} ${REGENERATE}`).toBe(true);
  });

  it('leaves no stale generated image in docs/img', () => {
    const stale = readdirSync(join(ROOT, IMG_DIR)).filter((f) => isGeneratedImage(f) && !files.has(`${IMG_DIR}/${f}`));
    expect(stale, REGENERATE).toEqual([]);
  });

  it.each([...files.keys()])('%s equals the committed file, is well-formed and linked', (path) => {
    const svg = files.get(path)!;
    expect(() => parseXml(svg)).not.toThrow();
    expect(markdown).toContain(`](${path.replace(/^docs\//, '')})`);
    const onDisk = join(ROOT, path);
    expect(existsSync(onDisk), `${path} missing: ${REGENERATE}`).toBe(true);
    expect(readFileSync(onDisk, 'utf8') === svg, `${path} ${REGENERATE}`).toBe(true);
  });
});
