/**
 * The Node.js flags and environment a worker process runs with (`npx conveyor worker`, the Dockerfile,
 * `npm run bench`).
 *
 * - `--require tsx/cjs` runs the TypeScript sources without tsx's CLI wrapper process and ESM loader
 *   thread (Conveyor is CommonJS): ~30 MB less per worker.
 * - Heap caps, per V8 isolate: the main thread and each worker pool's workflow thread. Every workflow
 *   run builds its modules afresh (the SDK isolates them), so those heaps churn garbage fast, and with
 *   V8's defaults on a large machine they grow by hundreds of MB before collecting. Capped, a worker
 *   stays under 400 MB through a long backfill, for a few percent of CPU (`npm run bench`). The live
 *   heap is small (tens of MB): the work itself happens in DuckDB, outside the JS heap.
 */
export const WORKER_NODE_FLAGS = ['--require', 'tsx/cjs', '--max-old-space-size=256', '--max-semi-space-size=4'] as const;

/**
 * glibc gives each thread that allocates its own malloc arena (up to 8 per core); the SDK's Rust
 * core, DuckDB and libuv run many threads, and their freed memory stays spread over the arenas.
 * Two arenas measured ~50 MB less peak RSS over a 1,000-partition backfill at no visible CPU cost.
 * Read by glibc at process start, so it must be in the environment the process starts with.
 */
export const WORKER_ENV = { MALLOC_ARENA_MAX: '2' } as const;
