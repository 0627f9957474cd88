/**
 * The gate between a process's daily and backfill pools (workers/production-first.ts), driven through
 * the slot suppliers Temporal's worker calls, on a fake clock.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CustomSlotSupplier, SlotInfo, SlotPermit, SlotSupplier } from '@temporalio/worker';
import { ProductionFirst } from '../workers/production-first';

const SLOTS = { workflowTasks: 40, activities: 16 };

function custom<SI extends SlotInfo>(supplier: SlotSupplier<SI>): CustomSlotSupplier<SI> {
  assert.equal(supplier.type, 'custom');
  return supplier as CustomSlotSupplier<SI>;
}

function setUp(share: number) {
  const clock = { ms: 1_000_000 };
  const gate = new ProductionFirst({ share, holdMs: 1000, now: () => clock.ms });
  const backfill = custom(gate.backfillTuner(SLOTS).localActivityTaskSlotSupplier);
  const daily = custom(gate.dailyTuner(SLOTS).workflowTaskSlotSupplier);
  const reserveContext = { slotType: 'local-activity', taskQueue: 'q', workerIdentity: 'w', workerBuildId: '', isSticky: false } as const;
  /** Run backfill local activities of 1 ms each, one at a time, for `ms`: how many got a slot. */
  const runBackfillFor = (ms: number): number => {
    let ran = 0;
    for (const end = clock.ms + ms; clock.ms < end; clock.ms += 1) {
      const permit = backfill.tryReserveSlot(reserveContext);
      if (!permit) continue;
      ran += 1;
      backfill.markSlotUsed({ permit, slotInfo: { type: 'local-activity', activityType: 'ingest' } });
      backfill.releaseSlot({ permit, slotInfo: { type: 'local-activity', activityType: 'ingest' } });
    }
    return ran;
  };
  const dailyTask = (): SlotPermit => {
    const permit = daily.tryReserveSlot({ ...reserveContext, slotType: 'workflow' });
    assert.ok(permit, 'the daily pool always has a slot here');
    daily.markSlotUsed({ permit, slotInfo: { type: 'workflow', workflowType: 'partitionPipeline', isSticky: false } });
    return permit;
  };
  const endDailyTask = (permit: SlotPermit) => daily.releaseSlot({ permit, slotInfo: { type: 'workflow', workflowType: 'partitionPipeline', isSticky: false } });
  return { clock, gate, backfill, runBackfillFor, dailyTask, endDailyTask, reserveContext };
}

describe('production first: the backfill yields to daily runs in the same process', () => {
  it('runs the backfill at full speed while the daily pool is idle', () => {
    const { runBackfillFor, gate } = setUp(0.5);
    assert.equal(runBackfillFor(3000), 3000);
    assert.equal(gate.dailyActive(), false);
  });

  it('holds the backfill to its share of the rate it reached alone while a daily run is in hand, and for a second after', () => {
    const { runBackfillFor, dailyTask, endDailyTask, clock } = setUp(0.5);
    assert.equal(runBackfillFor(2001), 2001); // learns ~1,000 a second on its own
    const task = dailyTask();
    const whileDaily = runBackfillFor(2000);
    assert.ok(whileDaily >= 900 && whileDaily <= 1100, `half of 1,000 a second for 2 s, got ${whileDaily}`);
    endDailyTask(task);
    const held = runBackfillFor(999);
    assert.ok(held <= 600, `still held for the second after the daily task, got ${held}`);
    clock.ms += 2;
    assert.equal(runBackfillFor(1000), 1000, 'full speed again once the daily pool stayed idle');
  });

  it('keeps the rate it learnt across an idle pause: a backfill resuming while daily runs are busy gets its share, not a trickle', () => {
    const { runBackfillFor, dailyTask, clock } = setUp(0.5);
    assert.equal(runBackfillFor(2001), 2001);
    clock.ms += 100_000; // the backfill idle for 100 s
    runBackfillFor(1); // one task after the pause
    dailyTask();
    const whileDaily = runBackfillFor(2000);
    assert.ok(whileDaily >= 900 && whileDaily <= 1100, `half of 1,000 a second, got ${whileDaily}`);
  });

  it('does not hold a backfill back before its rate alone is known', () => {
    const { runBackfillFor, dailyTask } = setUp(0.5);
    dailyTask();
    assert.equal(runBackfillFor(500), 500);
  });

  it('pauses the backfill at a share of 0, and hands the waiting slot over once the daily pool is idle', async () => {
    const gate = new ProductionFirst({ share: 0, holdMs: 30 });
    const backfill = custom(gate.backfillTuner(SLOTS).localActivityTaskSlotSupplier);
    const daily = custom(gate.dailyTuner(SLOTS).activityTaskSlotSupplier);
    const ctx = { slotType: 'activity', taskQueue: 'q', workerIdentity: 'w', workerBuildId: '', isSticky: false } as const;
    const permit = daily.tryReserveSlot(ctx);
    assert.ok(permit);
    daily.markSlotUsed({ permit, slotInfo: { type: 'activity', activityType: 'publish' } });
    assert.equal(backfill.tryReserveSlot({ ...ctx, slotType: 'local-activity' }), null);
    const started = Date.now();
    const waiting = backfill.reserveSlot({ ...ctx, slotType: 'local-activity' }, new AbortController().signal);
    setTimeout(() => daily.releaseSlot({ permit, slotInfo: { type: 'activity', activityType: 'publish' } }), 50);
    // The gate's own wake-up does not keep a process alive (a stopping worker must not wait for it).
    const keepAlive = setTimeout(() => undefined, 5000);
    await waiting;
    clearTimeout(keepAlive);
    assert.ok(Date.now() - started >= 75, 'the slot came after the daily task ended and the hold passed');
  });

  it('gives up a waiting reservation when the worker aborts it', async () => {
    const gate = new ProductionFirst({ share: 0, holdMs: 10_000 });
    const backfill = custom(gate.backfillTuner(SLOTS).localActivityTaskSlotSupplier);
    const daily = custom(gate.dailyTuner(SLOTS).workflowTaskSlotSupplier);
    const ctx = { slotType: 'workflow', taskQueue: 'q', workerIdentity: 'w', workerBuildId: '', isSticky: false } as const;
    const permit = daily.tryReserveSlot(ctx);
    assert.ok(permit);
    daily.markSlotUsed({ permit, slotInfo: { type: 'workflow', workflowType: 'partitionPipeline', isSticky: false } });
    const abort = new AbortController();
    const waiting = backfill.reserveSlot({ ...ctx, slotType: 'local-activity' }, abort.signal);
    abort.abort();
    await assert.rejects(waiting, { name: 'AbortError' });
  });

  it('never hands out more slots than the pool has', () => {
    const { backfill, reserveContext } = setUp(0.5);
    const permits = Array.from({ length: SLOTS.activities }, () => backfill.tryReserveSlot(reserveContext));
    assert.ok(permits.every((p) => p !== null));
    assert.equal(backfill.tryReserveSlot(reserveContext), null);
  });
});
