/** The bench scripts' shared harness: options, interleaved timing, statistics, report printing. */
export { HelpRequested, nearest, parseOptions, parseOrExit, usage, UsageError, type OptionSpec, type OptionSpecs, type Options, type ScriptInfo } from './args.js';
export { fnVariant, interleave, type InterleaveOptions, type Variant } from './interleave.js';
export { markdownTable, ms, progress, ratioCell, timeCell } from './report.js';
export { median, pairedRatio, percentile, timeStats, type PairedOptions, type PairedRatio, type TimeStats } from './stats.js';
