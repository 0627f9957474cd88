/** The customer_sessions pipeline's own tests: its mappings and its SQL, beside its definition. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkPipelineSample, deploymentRegistry, mappedPartitions, partitionSchemeOf, sqlOf, withDuckDB } from 'conveyor/pipeline';
import { customerSessionsPipeline } from './definition';

describe('customer_sessions', () => {
  it('reads the 24 hours of its day from clickstream and the same day from orders', () => {
    const source = customerSessionsPipeline.source;
    assert.equal(source.kind, 'upstream');
    const mapped = mappedPartitions(deploymentRegistry(), customerSessionsPipeline, source as Extract<typeof source, { kind: 'upstream' }>, '2024-03-01');
    assert.deepEqual(mapped.map((m) => [m.view, m.keys.length, m.keys[0], m.keys.at(-1)]), [
      ['clickstream', 24, '2024-03-01T00', '2024-03-01T23'],
      ['orders', 1, '2024-03-01', '2024-03-01'],
    ]);
    assert.equal(partitionSchemeOf(customerSessionsPipeline).kind, 'daily');
  });

  it('its SQL runs over empty inputs shaped like the upstream tables', async () => {
    assert.deepEqual(await checkPipelineSample(customerSessionsPipeline), { valid: 0, rejected: 0, reasons: [], malformed: 0 });
  });

  it('sessions.sql counts events and pages per customer and joins that day\'s orders, leaving cancelled ones out', async () => {
    const rows = await withDuckDB((db) =>
      db.query<{ customer_id: string; events: bigint; pages: bigint; orders: bigint; revenue: string }>(
        `WITH clickstream AS (SELECT * FROM (VALUES ('h0', 1, 'C1', '/'), ('h0', 2, 'C1', '/cart'), ('h1', 1, 'C1', '/'), ('h1', 2, 'C2', '/'))
                              AS t(source_file, record_no, customer_id, page)),
              orders AS (SELECT * FROM (VALUES ('C1', 10.00::DECIMAL(12,2), 'paid'), ('C1', 5.00::DECIMAL(12,2), 'cancelled'), ('C3', 7.00::DECIMAL(12,2), 'paid'))
                              AS t(customer_id, amount, status))
         SELECT customer_id, events, pages, orders, revenue::VARCHAR AS revenue FROM (${sqlOf(customerSessionsPipeline)}) ORDER BY customer_id`,
      ),
    );
    assert.deepEqual(rows, [
      { customer_id: 'C1', events: 3n, pages: 2n, orders: 1n, revenue: '10.00' },
      { customer_id: 'C2', events: 1n, pages: 1n, orders: 0n, revenue: '0.00' },
    ]);
  });
});
