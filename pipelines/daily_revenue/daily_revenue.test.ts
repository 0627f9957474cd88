/** The daily_revenue pipeline's own tests: its definition and its SQL, beside them. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deploymentRegistry, sqlOf, upstreamOf, withDuckDB } from 'conveyor/pipeline';
import { dailyRevenuePipeline } from './definition';

describe('daily_revenue', () => {
  it('reads orders, which the registry knows as its upstream', () => {
    assert.deepEqual(upstreamOf(dailyRevenuePipeline), ['orders']);
    assert.ok(deploymentRegistry().downstreamOf('orders').includes('daily_revenue'), 'the registry knows it reads orders');
  });

  it('revenue.sql sums amounts and counts orders per currency, leaving cancelled orders out', async () => {
    const rows = await withDuckDB((db) =>
      db.query<{ currency: string; orders: bigint; revenue: string }>(
        `WITH orders AS (SELECT * FROM (VALUES
           ('f', 1, 'EUR', 10.50::DECIMAL(12,2), 'paid'),
           ('f', 2, 'EUR', 4.25::DECIMAL(12,2), 'shipped'),
           ('f', 3, 'EUR', 99.00::DECIMAL(12,2), 'cancelled'),
           ('f', 4, 'USD', 7.00::DECIMAL(12,2), 'placed')
         ) AS t(source_file, record_no, currency, amount, status))
         SELECT currency, orders, revenue::VARCHAR AS revenue FROM (${sqlOf(dailyRevenuePipeline)}) ORDER BY currency`,
      ),
    );
    assert.deepEqual(rows, [
      { currency: 'EUR', orders: 2n, revenue: '14.75' },
      { currency: 'USD', orders: 1n, revenue: '7.00' },
    ]);
  });
});
