/**
 * Checking a caller's options object: it is a plain object whose keys are all known, and each
 * enum-like value is one of its valid values. A misspelt key must fail loudly — ignored, it would
 * silently run with the default — so the error names the nearest valid key when one is close.
 * Messages start with the caller's prefix (e.g. 'inception-wasm: ') and name what to write instead.
 */

/** Levenshtein distance, case-insensitive (a wrong case counts as a near miss, not a new word). */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[y.length];
}

/**
 * The valid name closest to `name`, or undefined when none is close enough to be a likely typo
 * (distance at most a third of the longer name, and at least 1 allowed; a different case is close).
 */
export function nearestName(name: string, valid: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const v of valid) {
    const d = editDistance(name, v);
    if (d < bestDistance) {
      best = v;
      bestDistance = d;
    }
  }
  if (best === undefined) return undefined;
  return bestDistance <= Math.max(1, Math.floor(Math.max(name.length, best.length) / 3)) ? best : undefined;
}

/** "did you mean 'x'?" when one name is near, else the list of valid names. */
export function suggestion(name: string, valid: readonly string[], what = 'valid options'): string {
  const near = nearestName(name, valid);
  return near !== undefined ? `did you mean '${near}'?` : `${what}: ${valid.join(', ')}`;
}

/** A value as a message shows it: strings quoted, arrays bracketed, objects by their tag. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `'${value.length > 40 ? `${value.slice(0, 40)}…` : value}'`;
  if (Array.isArray(value)) return value.length > 4 ? `[${value.length} items]` : `[${value.map(describeValue).join(', ')}]`;
  if (typeof value === 'object' && value !== null) return Object.prototype.toString.call(value);
  if (typeof value === 'function') return 'a function';
  return String(value);
}

/**
 * Checks that `options` is undefined or a plain object with only `valid` keys; throws an Error
 * naming the first unknown key and the nearest valid one. `where` names the call, e.g.
 * 'createSession()'. Returns the object (an empty one for undefined).
 */
export function checkOptionKeys<T extends object>(options: T | undefined, valid: readonly (keyof T & string)[], where: string, prefix: string): T {
  if (options === undefined) return {} as T;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new Error(`${prefix}${where} takes an options object ({ ${valid.join(', ')} }), got ${describeValue(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!(valid as readonly string[]).includes(key)) {
      throw new Error(`${prefix}unknown option '${key}' of ${where}; ${suggestion(key, valid)}`);
    }
  }
  return options;
}

/** Checks that `value` is undefined or one of `valid`; the error lists the valid values. */
export function checkOneOf<V extends string>(value: unknown, valid: readonly V[], name: string, prefix: string): V | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && (valid as readonly string[]).includes(value)) return value as V;
  throw new Error(`${prefix}${name} must be one of ${valid.map((v) => `'${v}'`).join(', ')}; got ${describeValue(value)}`);
}

/** Checks that `value` is undefined or a boolean. */
export function checkBoolean(value: unknown, name: string, prefix: string): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  throw new Error(`${prefix}${name} must be true or false, got ${describeValue(value)}`);
}

/** Checks that `value` is undefined or an integer in [min, max]; `rule` phrases the range in the message. */
export function checkInteger(value: unknown, name: string, min: number, max: number, rule: string, prefix: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
  throw new Error(`${prefix}${name} must be ${rule}, got ${describeValue(value)}`);
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

/**
 * What is wrong with an `inputSize` option (a positive integer, or `[height, width]` of positive
 * integers), or undefined when it is valid or absent.
 */
export function inputSizeProblem(value: unknown): string | undefined {
  if (value === undefined || isPositiveInteger(value)) return undefined;
  if (Array.isArray(value) && value.length === 2 && value.every(isPositiveInteger)) return undefined;
  return `inputSize must be a positive integer or [height, width] of positive integers, got ${describeValue(value)}`;
}
