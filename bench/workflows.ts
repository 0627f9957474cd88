/**
 * Workflows for the benchmark bundle: Conveyor's own, plus the "ceiling" workflow — the same shape of
 * work (three no-op activities) without Conveyor, to measure the server's raw throughput.
 */
import { proxyActivities } from '@temporalio/workflow';

export * from '../workflows';

const { noop } = proxyActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: '1 minute' });

export async function ceilingWorkflow(): Promise<void> {
  await noop();
  await noop();
  await noop();
}
