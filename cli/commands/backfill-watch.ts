/** How `conveyor backfill` shows a backfill: a live progress bar (or a line every 10 s), then a summary. */
import { SingleBar } from 'cli-progress';
import { withRate, type BackfillRun, type BackfillStatus } from '../../client/backfills';
import { progressQuery } from '../../workflows/backfill-api';
import type { BackfillProgress } from '../../workflows/backfill-input';
import { formatSeconds, keyValues } from '../output';

/** Poll progress until the backfill ends: a live bar on a terminal, a line every 10 s otherwise. */
export async function watch(run: BackfillRun, tty: boolean): Promise<BackfillProgress> {
  const bar = tty ? new SingleBar({ format: ' {bar} {done}/{total} | {rate}/s | ETA {eta_h} | failed {failed} | running {running} | {state}', hideCursor: true, stream: process.stderr }) : undefined;
  let started = false;
  let lastLine = 0;
  let finished = false;
  const result = run.handle.result();
  void result.then(() => (finished = true), () => (finished = true));
  while (!finished) {
    try {
      const status = withRate(await run.handle.query(progressQuery), Date.now());
      const done = status.succeeded + status.failed + status.skipped + status.cancelled;
      const payload = { done, failed: status.failed, running: status.running, state: status.state, rate: status.partitionsPerSecond.toFixed(1), eta_h: formatSeconds(status.etaSeconds) };
      if (bar && !started) bar.start(status.total, done, payload);
      else bar?.update(done, payload);
      started = true;
      if (!bar && Date.now() - lastLine > 10_000) {
        lastLine = Date.now();
        console.error(`${run.backfillId}: ${done}/${status.total} done, ${status.failed} failed, ${status.running} running, ${payload.rate}/s, ETA ${payload.eta_h}`);
      }
    } catch {
      // A query during continue-as-new can miss; the next poll answers.
    }
    await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, 1000))]);
  }
  bar?.stop();
  return result;
}

export function summaryText(s: BackfillStatus): string {
  const lines = [
    keyValues([
      ['backfill', s.backfillId],
      ['state', s.state],
      ['total', s.total],
      ['succeeded', s.succeeded],
      ['failed', s.failed],
      ['skipped (nothing to do)', s.skipped],
      ['cancelled', s.cancelled],
      ['running', s.running],
      ['pending', s.pending],
      ['concurrency', s.concurrency],
      ['elapsed', formatSeconds(s.elapsedSeconds)],
      ['rate', `${s.partitionsPerSecond.toFixed(2)} partitions/s`],
      ['ETA', s.state === 'running' || s.state === 'paused' ? formatSeconds(s.etaSeconds) : '-'],
    ]),
  ];
  if (s.failures.length > 0) {
    lines.push('', 'failed partitions (rerun with --reprocess failed):');
    for (const f of s.failures) lines.push(`  ${f.partition}  ${f.failureClass} at ${f.step}: ${f.reason}  (run ${f.runId})`);
    if (s.failuresNotListed > 0) lines.push(`  ... and ${s.failuresNotListed} more (see meta.partition_runs)`);
  }
  return lines.join('\n');
}
