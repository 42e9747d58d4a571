/**
 * Timing several variants against each other on one machine: warm-up, then rounds in which every
 * variant runs once, round-robin, the starting variant rotating each round (with two variants:
 * alternating which goes first). Load that drifts over the run hits every variant alike, and the
 * times of one round pair up for bench/harness/stats.ts's paired ratio.
 *
 * Each timed run can follow `primer` untimed runs of the same variant: a core that idled while the
 * other variants ran is awake again, so the timing is back-to-back latency, not wake-up cost.
 */

/** One thing being timed. `time` returns the ms of one run (it may time only part of its work). */
export interface Variant {
  name: string;
  /** `runs` untimed runs (warm-up, primer). */
  warm(runs: number): Promise<void> | void;
  time(): Promise<number> | number;
}

/** A variant from one run function: `time` measures one call with performance.now(). */
export function fnVariant(name: string, run: () => Promise<unknown> | unknown): Variant {
  return {
    name,
    async warm(runs) {
      for (let i = 0; i < runs; i++) await run();
    },
    async time() {
      const t0 = performance.now();
      await run();
      return performance.now() - t0;
    },
  };
}

export interface InterleaveOptions {
  /** Timed rounds (each variant once per round). */
  rounds: number;
  /** Untimed runs of each variant before the first round (default 1). */
  warmup?: number;
  /** Untimed runs of a variant right before each of its timed runs (default 0). */
  primer?: number;
  /** Pause before each timed run (default 0), so the previous variant's threads have gone to sleep. */
  settleMs?: number;
  /** Called when a variant throws: it is dropped from the following rounds and its times are cleared. */
  onError?(variant: Variant, error: unknown): void;
  /** Called after each round with the times of that round (NaN for a dropped variant). */
  onRound?(round: number, times: readonly number[]): void;
}

/**
 * Times `variants` interleaved (module comment); returns each variant's times in round order.
 * Without `onError` the first error is thrown; with it the failing variant gets `[]`.
 */
export async function interleave(variants: readonly Variant[], options: InterleaveOptions): Promise<number[][]> {
  const times = variants.map((): number[] => []);
  const live = variants.map((_, i) => i);
  const fail = (i: number, e: unknown) => {
    if (!options.onError) throw e;
    options.onError(variants[i]!, e);
    times[i] = [];
    live.splice(live.indexOf(i), 1);
  };
  for (const i of [...live]) {
    try {
      await variants[i]!.warm(options.warmup ?? 1);
    } catch (e) {
      fail(i, e);
    }
  }
  for (let round = 0; round < options.rounds; round++) {
    const order = live.map((_, k) => live[(k + round) % live.length]!);
    for (const i of order) {
      if (options.settleMs) await new Promise((resolve) => setTimeout(resolve, options.settleMs));
      try {
        if (options.primer) await variants[i]!.warm(options.primer);
        times[i]!.push(await variants[i]!.time());
      } catch (e) {
        fail(i, e);
      }
    }
    options.onRound?.(round, variants.map((_, i) => (live.includes(i) ? times[i]!.at(-1)! : NaN)));
  }
  return times;
}
