/**
 * Production first, within one worker process: while the daily pool is at work, the backfill pool
 * runs at a budget, a share of the rate it reaches on its own, so daily runs find the Temporal server
 * and this process with CPU to spare instead of queueing behind a backfill. Once the daily pool has
 * been idle for a second, the backfill runs at full speed again.
 *
 * What is measured (npm run bench, isolation): on one machine a daily run waits for CPU, above all the
 * server's, and a backfill's load is its rate of steps. Fewer slots do not lower that rate (one slot
 * keeps a no-op backfill near full speed, each task being milliseconds), and pausing the backfill only
 * while a daily task is in hand comes too late: a daily run waits longest for its first task, before
 * this process sees it. So the budget is a rate, held while daily runs keep coming.
 *
 * Built on Temporal's worker tuner (custom slot suppliers). The daily pool's suppliers count the
 * workflow tasks and activities it has in hand. The backfill pool's local-activity supplier hands out
 * slots against the budget: every partition's steps pass through it (resolve, readiness, ingest and
 * transform of small partitions, the run record), a local activity's slot is taken when it is about to
 * run (a poll's slot is taken before any task arrives), and a workflow task waiting for one costs the
 * server nothing. The backfill's rate on its own is learnt in the seconds it runs alone; until it is
 * known the backfill is not held back. Tasks already taken always finish.
 *
 * It works across the pools of one process (CONVEYOR_WORKER_QUEUES=daily,backfill, the default). A
 * backfill pool in a process of its own is not held back by this (docs/runbook.md).
 */
import type { CustomSlotSupplier, FixedSizeSlotSupplier, SlotInfo, SlotPermit, TunerHolder } from '@temporalio/worker';

export interface PoolSlots {
  workflowTasks: number;
  activities: number;
}

export interface ProductionFirstOptions {
  /** The backfill's share of its own rate while daily work runs, 0 to 1 (0 pauses it meanwhile). */
  share: number;
  /** How long after the daily pool's last task the backfill keeps to its share. */
  holdMs?: number;
  now?: () => number;
}

/** The backfill's rate on its own is counted per second: the recent peak, fading 10 % a counted second. */
const BUCKET_MS = 1000;
const FADE = 0.9;

/** The gate between one process's daily and backfill pools. */
export class ProductionFirst {
  private readonly share: number;
  private readonly holdMs: number;
  private readonly now: () => number;
  private dailyInUse = 0;
  private dailyLastSeen = Number.NEGATIVE_INFINITY;
  /** Backfill local activities a second on its own, the second being counted, and the budget's tokens. */
  private aloneRate = 0;
  private bucket = { start: Number.NEGATIVE_INFINITY, count: 0, yielded: false };
  private tokens = 0;
  private tokensAt = 0;
  private readonly waiting = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private timerDue = 0;

  constructor(options: ProductionFirstOptions) {
    this.share = options.share;
    this.holdMs = options.holdMs ?? 1000;
    this.now = options.now ?? Date.now;
  }

  /** True while the daily pool has a task in hand, or had one within the last `holdMs`. */
  dailyActive(): boolean {
    return this.dailyInUse > 0 || this.now() - this.dailyLastSeen < this.holdMs;
  }

  dailyTuner(slots: PoolSlots): TunerHolder {
    return {
      workflowTaskSlotSupplier: this.dailySupplier(slots.workflowTasks),
      activityTaskSlotSupplier: this.dailySupplier(slots.activities),
      localActivityTaskSlotSupplier: fixed(slots.activities),
      nexusTaskSlotSupplier: fixed(1),
    };
  }

  backfillTuner(slots: PoolSlots): TunerHolder {
    return {
      workflowTaskSlotSupplier: fixed(slots.workflowTasks),
      activityTaskSlotSupplier: fixed(slots.activities),
      localActivityTaskSlotSupplier: this.supplier(slots.activities, { gated: true }),
      nexusTaskSlotSupplier: fixed(1),
    };
  }

  /** The daily pool's slots: a fixed number, each one counted while a task uses it. */
  private dailySupplier<SI extends SlotInfo>(limit: number): CustomSlotSupplier<SI> {
    const used = new Set<number>();
    return this.supplier<SI>(limit, {
      used: (permit) => {
        used.add(permit);
        this.dailyInUse += 1;
      },
      released: (permit) => {
        if (!used.delete(permit)) return;
        this.dailyInUse -= 1;
        this.dailyLastSeen = this.now();
        // Waiting backfill reservations look again once the daily pool has stayed idle.
        if (this.dailyInUse === 0) this.wakeIn(this.holdMs + 1);
      },
    });
  }

  /**
   * Whether the backfill may take a local-activity slot now: always while the daily pool is idle (and
   * its rate on its own is counted then); while the daily pool is at work, one token of a budget of
   * `share` of that rate (none at a share of 0). Until that rate is known, it is not held back.
   */
  private backfillMayTake(at: number): boolean {
    const yielding = this.dailyActive() && (this.share <= 0 || this.aloneRate > 0);
    if (yielding && !this.takeToken(at, this.share * this.aloneRate)) return false;
    this.count(at, yielding);
    return true;
  }

  /**
   * Count a slot handed out, per second. Only a second of steady work in which the backfill did not
   * yield tells its rate alone: one in which it yielded, or one followed by a pause (the backfill was
   * idle, not slow), leaves the rate as it was.
   */
  private count(at: number, yielding: boolean): void {
    if (at - this.bucket.start >= BUCKET_MS) {
      if (!this.bucket.yielded && at - this.bucket.start < 2 * BUCKET_MS) {
        this.aloneRate = Math.max(this.bucket.count, this.aloneRate * FADE);
      }
      this.bucket = { start: at, count: 0, yielded: false };
    }
    this.bucket.count += 1;
    if (yielding) this.bucket.yielded = true;
  }

  /** Take one token of a budget of `rate` a second; false when none is left (a wake-up is set for the next). */
  private takeToken(at: number, rate: number): boolean {
    if (rate <= 0) return false;
    this.tokens = Math.min(Math.max(1, rate / 10), this.tokens + ((at - this.tokensAt) / 1000) * rate);
    this.tokensAt = at;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    this.wakeIn(Math.ceil(((1 - this.tokens) / rate) * 1000));
    return false;
  }

  private supplier<SI extends SlotInfo>(
    limit: number,
    on: { gated?: boolean; used?: (permit: number) => void; released?: (permit: number) => void },
  ): CustomSlotSupplier<SI> {
    let out = 0;
    let issued = 0;
    const take = (): Permit | null => {
      if (out >= limit) return null;
      if (on.gated && !this.backfillMayTake(this.now())) return null;
      out += 1;
      issued += 1;
      return { id: issued };
    };
    return {
      type: 'custom',
      reserveSlot: (_ctx, abortSignal) =>
        new Promise<SlotPermit>((resolve, reject) => {
          const attempt = () => {
            const permit = take();
            if (!permit) return false;
            this.waiting.delete(wake);
            abortSignal.removeEventListener('abort', abort);
            resolve(permit);
            return true;
          };
          const wake = () => void attempt();
          const abort = () => {
            this.waiting.delete(wake);
            const err = new Error('slot reservation aborted');
            err.name = 'AbortError';
            reject(err);
          };
          if (attempt()) return;
          this.waiting.add(wake);
          abortSignal.addEventListener('abort', abort, { once: true });
        }),
      tryReserveSlot: () => take(),
      markSlotUsed: ({ permit }) => on.used?.((permit as Permit).id),
      releaseSlot: ({ permit }) => {
        out -= 1;
        on.released?.((permit as Permit).id);
        this.wakeAll();
      },
    };
  }

  /** Wake the waiting reservations in `ms` (or sooner, if a wake-up is set for sooner already). */
  private wakeIn(ms: number): void {
    const due = this.now() + ms;
    if (this.timer && this.timerDue <= due) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.wakeAll();
    }, ms);
    this.timer.unref();
  }

  private wakeAll(): void {
    for (const wake of [...this.waiting]) wake();
  }
}

/** A slot handed out; numbered, so the daily pool can tell its used slots apart. */
interface Permit extends SlotPermit {
  id: number;
}

function fixed(numSlots: number): FixedSizeSlotSupplier {
  return { type: 'fixed-size', numSlots };
}
