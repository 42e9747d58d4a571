/**
 * One CLI command: its summary, usage line, `node:util` parseArgs options, and what it does.
 * Commands throw `UsageError` for bad arguments (exit 2) and any other Error for failures (exit 1).
 */
import type { ParseArgsConfig } from 'node:util';
import { MODELS } from '../inception/models.js';

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

export function intOption(v: Values, name: string, fallback: number, min = 0): number {
  const raw = v[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got '${raw}'`);
  return n;
}

export function sizeOption(v: Values): number | [number, number] | undefined {
  const raw = v.size;
  if (raw === undefined) return undefined;
  const m = /^(\d+)(?:x(\d+))?$/.exec(String(raw));
  if (!m) throw new UsageError(`--size must be a number or HxW (e.g. 299 or 107x139), got '${raw}'`);
  return m[2] ? [Number(m[1]), Number(m[2])] : Number(m[1]);
}

export function modelOption(v: Values, fallback?: string): string {
  const model = (v.model as string | undefined) ?? fallback;
  if (model === undefined) throw new UsageError(`--model is required; one of: ${Object.keys(MODELS).join(', ')}`);
  if (!Object.hasOwn(MODELS, model)) throw new UsageError(`--model '${model}' is unknown; one of: ${Object.keys(MODELS).join(', ')}`);
  return model;
}

export const round1 = (x: number) => Math.round(x * 10) / 10;
