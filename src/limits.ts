/**
 * Limits of the public API that more than one layer checks (session options, the command line).
 * Each is an upper bound on what a caller may ask for, with the reason it is where it is.
 */

/**
 * Most compute threads a session starts. Every thread is a worker with its own instance of the
 * kernel module over the one shared memory and its own per-thread scratch, and every task split is
 * planned for the thread count: far beyond the cores this only adds start-up time and memory (1,000
 * threads took 75 s and 7.8 GB to create and ran 90× slower on a 2-core machine). 64 covers the
 * largest CPUs a browser or Node reports through `hardwareConcurrency` / `availableParallelism`.
 */
export const MAX_THREADS = 64;
