/**
 * Determinism: recorded histories of partitionPipeline, backfillPipeline, scheduledPartition and pipelineMonitor
 * (test/fixtures/*.history.json) must replay against the current workflow code. A change to a
 * workflow's command sequence fails here; after the first release such a change needs `patched()` or
 * a new workflow type, and the old fixtures stay.
 * Until the first release, re-record them (replacing the old ones) with RECORD_REPLAY_FIXTURES=1 on
 * the workflow tests (test/partition-pipeline.workflow.test.ts, test/backfill.workflow.test.ts,
 * test/schedules.workflow.test.ts, test/readiness-overrides.workflow.test.ts, test/monitoring.workflow.test.ts).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { loadConfig } from '../platform/config';

const FIXTURES = path.join(__dirname, 'fixtures');

describe('replay of recorded histories', () => {
  const files = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.history.json'));

  it('has fixtures to replay', () => {
    assert.ok(files.length >= 3, `expected recorded histories in ${FIXTURES}`);
  });

  it('replays every recorded history without nondeterminism', async () => {
    const histories = files.map((file) => ({
      workflowId: file,
      history: temporal.api.history.v1.History.fromObject(JSON.parse(fs.readFileSync(path.join(FIXTURES, file), 'utf8'))),
    }));
    const results = Worker.runReplayHistories({ workflowBundle: { codePath: loadConfig().workflowBundlePath } }, histories);
    let replayed = 0;
    for await (const result of results) {
      assert.equal(result.error, undefined, `${result.workflowId}: ${String(result.error)}`);
      replayed += 1;
    }
    assert.equal(replayed, files.length);
  });

  it('fails on a workflow whose steps were reordered', async () => {
    const history = temporal.api.history.v1.History.fromObject(JSON.parse(fs.readFileSync(path.join(FIXTURES, 'succeeded.history.json'), 'utf8')));
    await assert.rejects(
      Worker.runReplayHistory({ workflowsPath: require.resolve('./helpers/reordered-workflows') }, history),
      (err: Error) => err.name === 'DeterminismViolationError',
    );
  });
});
