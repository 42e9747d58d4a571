/**
 * The benchmark's result record (written as JSON under bench/results/) and the per-case summary
 * the table and the goal are read from.
 */
import type { Platform, Precision, RuntimeFeatures, RuntimeId, RuntimeRole, TimeSplit } from './runtimes.js';
import type { OutputCheck } from './stats.js';

/** 2: rows carry `precision` and `platform`; results written before them (schema 1) are f32 on Node. */
export const RESULT_SCHEMA = 2;

export interface BenchRow {
  model: string;
  inputSize: number;
  /** Threads asked for. */
  threads: number;
  /** Absent in schema-1 results: f32. */
  precision?: Precision;
  /** Absent in schema-1 results: node. */
  platform?: Platform;
  runtime: RuntimeId;
  label: string;
  role: RuntimeRole;
  version?: string;
  build?: string;
  /** Threads the runtime reports using. */
  threadsUsed?: number;
  notes: string[];
  /** Spawn → first output received by the harness (process start, import, load, first run). */
  coldStartMs?: number;
  /** The child's own split of the cold start. */
  processStartToOutputMs?: number;
  importMs?: number;
  loadMs?: number;
  firstRunMs?: number;
  /** Steady state after warm-up, runs interleaved round-robin with the case's other runtimes. */
  timesMs: number[];
  p50Ms?: number;
  p90Ms?: number;
  minMs?: number;
  /** 2 · MACs / p50. */
  gflops?: number;
  peakRssBytes?: number;
  arenaBytes?: number;
  osThreadsAdded?: number;
  /** Our p50 / this runtime's p50 (< 1: we are faster). */
  oursOverThis?: number;
  /** Median over rounds of our time / this runtime's time in the same round (stats.pairedRatio). */
  oursOverThisPaired?: number;
  /** Peers: the output check against ours (same precision, same platform), done before any timing. */
  check?: OutputCheck;
  /** Ours, int8 rows: our int8 logits against our f32 logits of the same network and platform (when f32 ran too). */
  int8VsF32?: OutputCheck;
  /** Ours: the engine's feature probe on this platform. */
  features?: RuntimeFeatures;
  /** Why this row has no timings (not installed, failed, output mismatch). */
  error?: string;
}

export interface NetworkInfo {
  model: string;
  variant: string;
  inputSize: number;
  params: number;
  macs: number;
}

export interface BenchResult {
  schema: number;
  startedAt: string;
  finishedAt: string;
  command: string;
  machine: {
    cpu: string; cores: number; node: string; platform: string; memoryBytes: number; loadAvgStart: number[]; loadAvgEnd: number[];
    /**
     * The floor under every cold start: spawn → ready of a child that loads no runtime (Node + tsx
     * start-up), or with --browser new context + page → driver loaded, for a page that loads no runtime.
     */
    processStartupMs: number;
    /** --browser: the Chromium that ran the pages (its version string). */
    browser?: string;
  };
  options: {
    models: string[]; inputSize?: number; threads: number[]; runs: number; warmup: number;
    /** Untimed runs right before each timed run (absent in results from before the option: 0). */
    primer?: number; peers: boolean; tolerance: number; nodeFlags: string[];
    oursFrom: 'src' | 'dist'; oursFromWhy?: string; oursBuild?: 'auto' | 'baseline' | 'relaxed';
    /** Absent in schema-1 results: ['f32'] on 'node'. */
    precisions?: Precision[]; platform?: Platform;
    /** int8 peers pass when max |Δ| ≤ int8Tolerance · std of our int8 logits. */
    int8Tolerance?: number;
    /** Calibration images of the int8 rows. */
    calibrationImages?: number;
  };
  /** Ours' feature probe per platform it ran on (the first answer; it does not change within a platform). */
  features?: Partial<Record<Platform, RuntimeFeatures>>;
  networks: NetworkInfo[];
  rows: BenchRow[];
  /** Where one of our runs goes, per network (one thread, per step kind). */
  profiles: Record<string, TimeSplit>;
}

export interface CaseSummary {
  model: string;
  inputSize: number;
  threads: number;
  precision: Precision;
  platform: Platform;
  ours?: BenchRow;
  byRuntime: Partial<Record<RuntimeId, BenchRow>>;
  /** The faster of the peers' p50 (ms) at this thread count, when any peer ran. */
  fastestPeerMs?: number;
  /** Goal of issue 6: our p50 ≤ 0.5 × the faster peer's p50. */
  latencyGoalMet?: boolean;
  /** Goal of issue 6: our cold start below every peer's. */
  coldStartGoalMet?: boolean;
}

export const rowPrecision = (row: Pick<BenchRow, 'precision'>): Precision => row.precision ?? 'f32';
export const rowPlatform = (row: Pick<BenchRow, 'platform'>): Platform => row.platform ?? 'node';

/** Whether two rows belong to one case: network, size, thread count, precision and platform. */
export function sameCase(a: BenchRow | CaseSummary, b: BenchRow): boolean {
  return a.model === b.model && a.inputSize === b.inputSize && a.threads === b.threads &&
    rowPrecision(a) === rowPrecision(b) && rowPlatform(a) === rowPlatform(b);
}

/** One summary per case (network, size, thread count, precision, platform), in run order. */
export function summarize(result: BenchResult): CaseSummary[] {
  const out: CaseSummary[] = [];
  for (const row of result.rows) {
    let s = out.find((c) => sameCase(c, row));
    if (!s) {
      out.push((s = {
        model: row.model, inputSize: row.inputSize, threads: row.threads, precision: rowPrecision(row), platform: rowPlatform(row), byRuntime: {},
      }));
    }
    s.byRuntime[row.runtime] = row;
    if (row.role === 'ours') s.ours = row;
  }
  for (const s of out) {
    const peers = Object.values(s.byRuntime).filter((r) => r.role === 'peer' && r.p50Ms !== undefined);
    if (peers.length === 0 || s.ours?.p50Ms === undefined) continue;
    s.fastestPeerMs = Math.min(...peers.map((r) => r.p50Ms!));
    s.latencyGoalMet = s.ours.p50Ms <= 0.5 * s.fastestPeerMs;
    const colds = peers.filter((r) => r.coldStartMs !== undefined).map((r) => r.coldStartMs!);
    if (colds.length > 0 && s.ours.coldStartMs !== undefined) s.coldStartGoalMet = s.ours.coldStartMs < Math.min(...colds);
  }
  return out;
}
