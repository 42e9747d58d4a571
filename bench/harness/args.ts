/**
 * The one command-line parser of the bench scripts: typed options declared once with their help
 * text, `--help` (usage on stdout, exit 0), and usage errors (exit 2) that name the nearest known
 * flag. Accepts `--name value`, `--name=value` and bare `--flag` for booleans; list options take
 * comma-separated values. No positional arguments: every bench input is a named option.
 */

interface Common {
  /** One line for --help. */
  help: string;
}
export type OptionSpec = Common & (
  | { type: 'boolean' }
  | { type: 'string'; default?: string; choices?: readonly string[] }
  | { type: 'strings'; default?: readonly string[]; choices?: readonly string[] }
  | { type: 'int'; default?: number; min?: number }
  | { type: 'ints'; default?: readonly number[]; min?: number }
  | { type: 'number'; default?: number; positive?: boolean }
);
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

type ValueOf<S extends OptionSpec> = S['type'] extends 'boolean' ? boolean
  : S['type'] extends 'int' | 'number' ? number
  : S['type'] extends 'ints' ? number[]
  : S['type'] extends 'strings' ? string[]
  : string;

/** Parsed values: booleans are always set; others are set when given or defaulted. */
export type Options<T extends OptionSpecs> = {
  -readonly [K in keyof T]: T[K] extends { type: 'boolean' } ? boolean : T[K] extends { default: unknown } ? ValueOf<T[K]> : ValueOf<T[K]> | undefined;
};

/** A bad command line; the scripts print it and exit with status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** `--help` was given; `message` is the usage text. */
export class HelpRequested extends Error {
  override name = 'HelpRequested';
}

export interface ScriptInfo {
  /** How the script is run, e.g. `npx tsx bench/winograd.ts`. */
  command: string;
  /** What it measures, a sentence or two. */
  summary: string;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

/** The known name closest to `name` (edit distance, ties to the first declared). */
export function nearest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = k.startsWith(name) || name.startsWith(k) ? Math.abs(k.length - name.length) * 0.5 : editDistance(name, k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}

function describeDefault(spec: OptionSpec): string {
  if (spec.type === 'boolean' || spec.default === undefined) return '';
  return ` (default ${Array.isArray(spec.default) ? spec.default.join(',') : String(spec.default)})`;
}

function placeholder(spec: OptionSpec): string {
  switch (spec.type) {
    case 'boolean': return '';
    case 'string': return spec.choices ? ` ${spec.choices.join('|')}` : ' s';
    case 'strings': return ' a,b,…';
    case 'int': return ' n';
    case 'ints': return ' n,…';
    case 'number': return ' x';
  }
}

/** The --help text. */
export function usage(specs: OptionSpecs, info: ScriptInfo): string {
  const rows = Object.entries(specs).map(([name, spec]) => [`--${name}${placeholder(spec)}`, `${spec.help}${describeDefault(spec)}`] as const);
  const width = Math.min(32, Math.max(...rows.map(([flag]) => flag.length), 6));
  return [
    `usage: ${info.command} [options]`, '', info.summary, '', 'options:',
    ...rows.map(([flag, help]) => `  ${flag.padEnd(width)}  ${help}`),
    `  ${'--help'.padEnd(width)}  print this text`,
  ].join('\n');
}

function convert(name: string, spec: OptionSpec, raw: string): unknown {
  const int = (s: string, min: number) => {
    const n = Number(s);
    if (s.trim() === '' || !Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got '${s}'`);
    return n;
  };
  const pick = (s: string, choices: readonly string[] | undefined) => {
    if (choices && !choices.includes(s)) throw new UsageError(`--${name} '${s}' is unknown; one of: ${choices.join(', ')}`);
    return s;
  };
  switch (spec.type) {
    case 'boolean': throw new UsageError(`--${name} takes no value, got '${raw}'`);
    case 'string': return pick(raw, spec.choices);
    case 'strings': return raw.split(',').map((s) => pick(s.trim(), spec.choices));
    case 'int': return int(raw, spec.min ?? 0);
    case 'ints': return raw.split(',').map((s) => int(s, spec.min ?? 0));
    case 'number': {
      const x = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(x) || (spec.positive && !(x > 0))) {
        throw new UsageError(`--${name} must be a ${spec.positive ? 'positive ' : ''}number, got '${raw}'`);
      }
      return x;
    }
  }
}

/** Parses `argv` against `specs`; throws UsageError or HelpRequested (with the usage text). */
export function parseOptions<const T extends OptionSpecs>(specs: T, argv: readonly string[], info: ScriptInfo): Options<T> {
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.type === 'boolean') values[name] = false;
    else if (spec.default !== undefined) values[name] = Array.isArray(spec.default) ? [...spec.default] : spec.default;
  }
  const names = Object.keys(specs);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') throw new HelpRequested(usage(specs, info));
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument '${arg}': every input is a named option (--help lists them)`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = specs[name];
    if (!spec) {
      const near = nearest(name, names);
      throw new UsageError(`unknown option '--${name}'${near ? `; did you mean --${near}?` : ''} (--help lists the options)`);
    }
    if (spec.type === 'boolean') {
      if (eq >= 0) throw new UsageError(`--${name} takes no value, got '${arg.slice(eq + 1)}'`);
      values[name] = true;
      continue;
    }
    const raw = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (raw === undefined) throw new UsageError(`--${name} needs a value${placeholder(spec)}`);
    values[name] = convert(name, spec, raw);
  }
  return values as Options<T>;
}

/**
 * parseOptions for a script's top level: prints the usage on --help (exit 0) or the error and a
 * pointer to --help (exit 2), and exits; otherwise returns the values.
 */
export function parseOrExit<const T extends OptionSpecs>(specs: T, argv: readonly string[], info: ScriptInfo): Options<T> {
  try {
    return parseOptions(specs, argv, info);
  } catch (e) {
    if (e instanceof HelpRequested) {
      console.log(e.message);
      process.exit(0);
    }
    if (e instanceof UsageError) {
      console.error(`${info.command}: ${e.message}`);
      process.exit(2);
    }
    throw e;
  }
}
