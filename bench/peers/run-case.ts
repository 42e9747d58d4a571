/**
 * One case of the end-to-end benchmark — a network at one thread count, one precision, on one
 * platform: start every runtime (ours first: it is the reference), check each peer's first output
 * against ours, time the ones that pass interleaved, collect the rows. The host decides what a
 * runtime runs in (a Node child process or a Chromium page: bench/peers/host.ts); nothing here
 * depends on which.
 */
import { interleave, pairedRatio, timeStats, type Variant } from '../harness/index.js';
import type { RuntimeHandle, RuntimeHost } from './host.js';
import type { BenchRow, BenchResult } from './results.js';
import type { OursSource } from './runtime-ours.js';
import { RUNTIMES, type Precision, type RuntimeId } from './runtimes.js';
import { checkOutput } from './stats.js';

/** Pause before each timed run, so no runtime's idle threads are still spinning when the next starts. */
export const SETTLE_MS = 30;

export interface CaseContext {
  model: string;
  inputSize: number;
  threads: number;
  precision: Precision;
  macs: number;
  caseDir: string;
  runtimes: readonly RuntimeId[];
  /** Why a runtime has no row timings in this case (not installed, no int8 form, no QDQ file). */
  unavailable: ReadonlyMap<RuntimeId, string>;
  host: RuntimeHost;
  runs: number;
  warmup: number;
  primer: number;
  /** A peer passes when max |Δ| ≤ tolerance · std(our logits of this case). */
  tolerance: number;
  oursFrom: OursSource;
  oursBuild: 'auto' | 'baseline' | 'relaxed';
  log: (line: string) => void;
  /** Profiles by key (`model`, `model int8`); filled by the first case of each key. */
  profiles: BenchResult['profiles'];
  /** Our f32 logits of this network on this platform, when an f32 case ran first (int8 rows compare to them). */
  f32Reference?: Float32Array;
}

/** The rows of one case, and our first output (the reference its peers were checked against). */
export async function runCase(ctx: CaseContext): Promise<{ rows: BenchRow[]; reference?: Float32Array }> {
  const { model, inputSize, threads, precision, host, log } = ctx;
  const what = `${model} ${precision} ×${threads}${host.platform === 'node' ? '' : ` (${host.platform})`}`;
  const rows: BenchRow[] = [];
  const live: { row: BenchRow; child: RuntimeHandle }[] = [];
  let reference: Float32Array | undefined;
  try {
    for (const id of ctx.runtimes) {
      const info = RUNTIMES[id];
      const row: BenchRow = {
        model, inputSize, threads, precision, platform: host.platform, runtime: id, label: info.label, role: info.role, notes: [], timesMs: [],
      };
      rows.push(row);
      if (ctx.unavailable.has(id)) {
        row.error = ctx.unavailable.get(id);
        continue;
      }
      if (id !== 'ours' && reference === undefined) {
        row.error = 'no reference output (ours failed)';
        continue;
      }
      log(`${what}: starting ${info.label}`);
      try {
        const { child, ready, coldStartMs } = await host.start({
          runtime: id, caseDir: ctx.caseDir, threads, precision, oursFrom: ctx.oursFrom, oursBuild: ctx.oursBuild,
        });
        Object.assign(row, {
          version: ready.version, build: ready.build, threadsUsed: ready.threads, notes: ready.notes, arenaBytes: ready.arenaBytes,
          coldStartMs, processStartToOutputMs: ready.processStartToOutputMs, importMs: ready.importMs, loadMs: ready.loadMs,
          firstRunMs: ready.firstRunMs, osThreadsAdded: ready.osThreadsAdded, features: ready.features,
        });
        if (id === 'ours') {
          reference = ready.logits;
          if (precision === 'int8' && ctx.f32Reference) row.int8VsF32 = checkOutput(ctx.f32Reference, ready.logits, ctx.tolerance);
        } else {
          row.check = checkOutput(reference!, ready.logits, ctx.tolerance);
          if (!row.check.ok) {
            row.error = `output differs from ours: max |Δ| ${row.check.maxAbsDiff.toExponential(2)} = ${row.check.relative.toExponential(2)} × std (tolerance ${ctx.tolerance})`;
            row.peakRssBytes = await child.finish().catch(() => undefined);
            continue;
          }
        }
        live.push({ row, child });
      } catch (e) {
        row.error = (e as Error).message.split('\n').slice(0, 6).join('\n');
        log(`${what}: ${info.label} failed: ${row.error}`);
      }
    }
    // Each runtime is a variant: warm-up and primer runs are 'warmup' requests, a timed run is one
    // 'time' request (the runtime times the run itself, without the round trip).
    const timing = [...live];
    const variants = timing.map(({ row, child }): Variant => ({
      name: row.label,
      warm: async (runs) => void (runs > 0 && (await child.request({ type: 'warmup', runs }, 'warmedUp'))),
      time: async () => (await child.request({ type: 'time' }, 'timed')).ms,
    }));
    const times = await interleave(variants, {
      rounds: ctx.runs, warmup: ctx.warmup, primer: ctx.primer,
      // Let the previous runtime's pool threads stop spinning and sleep before the next one runs.
      settleMs: SETTLE_MS,
      /** A runtime that fails mid-way loses its timings (its row says why); the others go on. */
      onError(variant, e) {
        const entry = timing[variants.indexOf(variant)]!;
        entry.row.error = (e as Error).message.split('\n').slice(0, 6).join('\n');
        entry.child.kill();
        live.splice(live.indexOf(entry), 1);
        log(`${what}: ${entry.row.label} failed: ${entry.row.error}`);
      },
      onRound: (round, ms) => log(`${what}: round ${round + 1}/${ctx.runs} ` +
        timing.flatMap(({ row }, i) => (Number.isNaN(ms[i]) ? [] : [`${row.runtime} ${ms[i]!.toFixed(0)}`])).join(', ')),
    });
    timing.forEach(({ row }, i) => (row.timesMs = times[i]!));
    const ours = live.find(({ row }) => row.role === 'ours');
    const profileKey = precision === 'f32' ? model : `${model} ${precision}`;
    if (ours && ctx.profiles[profileKey] === undefined) {
      try {
        const { split } = await ours.child.request({ type: 'profile' }, 'profiled');
        if (split) ctx.profiles[profileKey] = split;
      } catch (e) {
        log(`${what}: profiling ours failed: ${(e as Error).message}`);
      }
    }
    for (const entry of [...live]) entry.row.peakRssBytes = await entry.child.finish().catch(() => undefined);
  } finally {
    for (const { child } of live) child.kill();
  }
  finishRows(rows, ctx.macs);
  return { rows, reference };
}

/** p50/p90/min, GFLOP/s and the ratios to ours, from each row's run times. */
export function finishRows(rows: BenchRow[], macs: number): void {
  for (const row of rows) {
    if (row.timesMs.length === 0) continue;
    const t = timeStats(row.timesMs);
    row.p50Ms = t.median;
    row.p90Ms = t.p90;
    row.minMs = t.min;
    row.gflops = (2 * macs) / (row.p50Ms * 1e6);
  }
  const oursRow = rows.find((r) => r.role === 'ours');
  for (const row of rows) {
    if (oursRow?.p50Ms === undefined || row.p50Ms === undefined) continue;
    row.oursOverThis = oursRow.p50Ms / row.p50Ms;
    row.oursOverThisPaired = pairedRatio(oursRow.timesMs, row.timesMs)?.median;
  }
}
