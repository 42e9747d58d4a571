/**
 * The default branch of an exhaustive switch: a compile error when a case is missing, and a
 * thrown error when a value outside the type arrives at run time (data from elsewhere, a cast).
 */
export function assertNever(value: never, what: string): never {
  const kind = (value as { kind?: unknown } | null)?.kind;
  throw new Error(`inception-wasm: unknown ${what} '${String(kind ?? value)}'`);
}
