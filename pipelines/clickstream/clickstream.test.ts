/** The clickstream pipeline's own tests: its generator and its SQL, through its source (JSON lines), beside its definition. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkPipelineSample } from 'conveyor/pipeline';
import { clickstreamPipeline } from './definition';
import { generator } from './generate';

describe('clickstream', () => {
  it('a sample hour validates with no rejects', async () => {
    const check = await checkPipelineSample(clickstreamPipeline, { generator, partition: '2024-03-01T05' });
    assert.deepEqual([check.valid, check.rejected, check.malformed], [200, 0, 0]);
  });
  it('rejects a line that is not JSON and an unknown event type, with their reasons', async () => {
    const faulty = { ...generator, generate: (r: Parameters<typeof generator.generate>[0]) => generator.generate({ ...r, faults: [{ kind: 'malformed' }] }) };
    const check = await checkPipelineSample(clickstreamPipeline, { generator: faulty, partition: '2024-03-01T05' });
    assert.deepEqual([check.valid, check.rejected, check.malformed], [200, 1, 1]);
    assert.deepEqual(check.reasons, ["event_type 'teleport' is not one of view, search, add_to_cart, checkout"]);
  });
});
