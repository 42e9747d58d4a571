/**
 * The syntax of a path a model file gives for another file (a TF.js shard path, an ONNX external
 * data `location`). No I/O: the importers check paths with it before anything touches the disk,
 * in every runtime, and model-files.ts checks again before it opens anything.
 *
 * TF.js resolves shard paths as URLs relative to model.json, and a web server decodes percent
 * escapes, so a path must name a file in the model's folder or below under both readings: no
 * absolute path, drive letter or URL scheme, no `..` segment, no backslash (a separator on
 * Windows), no percent escape that decodes to `.`, `/`, `\` or NUL, no NUL, not empty.
 */

/** What the message about a rejected path says it must be. */
export const RELATIVE_PATH_RULE = "must be a relative path inside the model's folder";

/** Why `path` cannot be a relative path inside the model's folder, or undefined when it can. */
export function relativePathProblem(path: string): string | undefined {
  if (path.length === 0) return 'it is empty';
  if (path.includes('\0')) return 'it contains a NUL character';
  if (path.includes('\\')) return 'it contains a backslash';
  if (path.startsWith('/')) return 'it is absolute';
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(path)) return 'it starts with a drive letter or a URL scheme';
  const escape = /%(2e|2f|5c|00)/i.exec(path);
  if (escape) return `it contains '${escape[0]}', an escaped '.', '/', '\\' or NUL`;
  if (path.split('/').includes('..')) return "it has a '..' segment";
  return undefined;
}
