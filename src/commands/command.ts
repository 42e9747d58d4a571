/**
 * One CLI command: its summary, usage line, `node:util` parseArgs options, and what it does.
 * Commands throw `UsageError` for bad arguments (exit 2) and any other Error for failures (exit 1).
 */
import type { ParseArgsConfig } from 'node:util';
import { MODELS, variantInfo, type VariantInfo } from '../inception/models.js';
import { MAX_THREADS } from '../limits.js';

export type Values = Record<string, string | boolean | string[] | undefined>;

export interface CliCommand {
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  /** Allow positional arguments (e.g. image paths); they arrive as `positionals`. */
  positionals?: boolean;
  run(values: Values, positionals: string[]): Promise<void>;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * Largest --size side. A session's memory is one wasm32 memory (at most 4 GiB); at 8192² the
 * stem's first activation alone (~4096² × 32 channels × 4 bytes ≈ 2 GiB) takes half of it.
 */
export const MAX_CLI_SIZE = 8192;

/** Most of --runs, --repeats, --top, --batch: beyond it a typo (an extra digit or two) runs for hours. */
export const MAX_COUNT = 100_000;

const DECIMAL = /^\d+$/;

/**
 * The one parser of integer options: decimal digits only (no '0x10', '1e3', ' 3' or '' that
 * `Number()` would accept), within [min, max]; `hint` explains a special value, e.g. '0: one per core'.
 */
export function intOption(v: Values, name: string, fallback: number, min = 0, max = MAX_COUNT, hint?: string): number {
  const raw = v[name];
  if (raw === undefined) return fallback;
  const n = typeof raw === 'string' && DECIMAL.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}${hint ? ` (${hint})` : ''}, got '${String(raw)}'`);
  }
  return n;
}

/** --threads: 0 (one per core) to MAX_THREADS. */
export function threadsOption(v: Values, fallback = 0): number {
  return intOption(v, 'threads', fallback, 0, MAX_THREADS, '0: one per core');
}

/** A fraction in (0, 1] written as a decimal number (e.g. 0.875); `extra` names other accepted words. */
export function fractionOption(v: Values, name: string, extra = ''): number | undefined {
  const raw = v[name];
  if (raw === undefined) return undefined;
  const f = typeof raw === 'string' && /^(?:\d+(?:\.\d*)?|\.\d+)$/.test(raw) ? Number(raw) : NaN;
  if (!(f > 0 && f <= 1)) throw new UsageError(`--${name} must be a fraction in (0, 1] (e.g. 0.875)${extra}, got '${String(raw)}'`);
  return f;
}

/** --size as written: `s` (square) or `HxW`, each side at most MAX_CLI_SIZE; undefined when absent. */
function parseSize(v: Values): number[] | undefined {
  const raw = v.size;
  if (raw === undefined) return undefined;
  const m = /^(\d+)(?:x(\d+))?$/.exec(String(raw));
  const sides = m ? [Number(m[1]), ...(m[2] ? [Number(m[2])] : [])] : [];
  if (!m || sides.some((n) => n > MAX_CLI_SIZE)) {
    throw new UsageError(`--size must be a number or HxW (e.g. 299 or 107x139), each side 1 to at most ${MAX_CLI_SIZE}, got '${String(raw)}'`);
  }
  return sides;
}

const asInputSize = (sides: number[]): number | [number, number] => (sides.length === 2 ? [sides[0], sides[1]] : sides[0]);

/** --size for a model file: `s` or `HxW`, each side 1..MAX_CLI_SIZE. A registry network's own minimum is checked by `registryOption`. */
export function sizeOption(v: Values): number | [number, number] | undefined {
  const sides = parseSize(v);
  if (sides === undefined) return undefined;
  if (sides.some((n) => n < 1)) throw new UsageError(`--size must be at least 1 on each side, got '${String(v.size)}'`);
  return asInputSize(sides);
}

export function modelOption(v: Values, fallback?: string): string {
  const model = (v.model as string | undefined) ?? fallback;
  if (model === undefined) throw new UsageError(`--model is required; one of: ${Object.keys(MODELS).join(', ')}`);
  if (!Object.hasOwn(MODELS, model)) throw new UsageError(`--model '${model}' is unknown; one of: ${Object.keys(MODELS).join(', ')}`);
  return model;
}

/**
 * --model, --variant and --size of a registry network, all as usage errors: a known model, one
 * of its variants (own names only: 'constructor' is not a variant), a size it builds for.
 */
export function registryOption(v: Values, fallbackModel?: string): { model: string; variant: string; info: VariantInfo; inputSize: number | [number, number] | undefined } {
  const model = modelOption(v, fallbackModel);
  const entry: { variants: Record<string, VariantInfo>; defaultVariant: string } = MODELS[model as keyof typeof MODELS];
  const variants = entry.variants;
  const variant = (v.variant as string | undefined) ?? entry.defaultVariant;
  if (!Object.hasOwn(variants, variant)) {
    throw new UsageError(`--variant '${variant}' is unknown for ${model}; one of: ${Object.keys(variants).join(', ')}`);
  }
  const info = variantInfo(model, variant);
  const sides = parseSize(v);
  if (sides !== undefined && Math.min(...sides) < Math.max(1, info.minInputSize)) {
    throw new UsageError(`--size ${String(v.size)} is too small for ${model} (${variant}); the smallest input it builds for is ${Math.max(1, info.minInputSize)}`);
  }
  return { model, variant, info, inputSize: sides && asInputSize(sides) };
}

export const round1 = (x: number) => Math.round(x * 10) / 10;
