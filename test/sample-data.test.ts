/** `npm start`'s sample data: a downstream partition reading an upstream key still landing waits too (client/sample-data.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deploymentRegistry } from '../definitions/registry';
import { lateDownstreamKeys } from '../client/sample-data';

const registry = deploymentRegistry();
const days = ['2026-11-25', '2026-11-26', '2026-11-27'];

describe('npm start: partitions still landing', () => {
  it("a day covering the newest hour still landing (the first hour after midnight UTC) is still landing: it is not backfilled", () => {
    const late = lateDownstreamKeys(registry, registry.get('customer_sessions'), days, new Map([['clickstream', ['2026-11-27T23']]]));
    assert.deepEqual(late, ['2026-11-27']);
  });

  it("an hour of today still landing leaves yesterday's day to the backfill", () => {
    assert.deepEqual(lateDownstreamKeys(registry, registry.get('customer_sessions'), days, new Map([['clickstream', ['2026-11-28T05']]])), []);
  });

  it('a pipeline reading landed files has no upstream to wait for', () => {
    assert.deepEqual(lateDownstreamKeys(registry, registry.get('orders'), days, new Map([['clickstream', ['2026-11-27T23']]])), []);
  });
});
