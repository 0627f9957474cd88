/**
 * The "ceiling" workflow: the shape of a no-op partition's work (three no-op activities) without
 * Conveyor, to measure the server's raw throughput. Bundled alone, with nothing but Temporal's workflow
 * library, so the yardstick carries none of Conveyor's code (the Conveyor worker runs the same bundle
 * as `npm run worker`).
 */
import { proxyActivities } from '@temporalio/workflow';

const { noop } = proxyActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: '1 minute' });

export async function ceilingWorkflow(): Promise<void> {
  await noop();
  await noop();
  await noop();
}
