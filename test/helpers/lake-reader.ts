import { setTimeout as sleep } from 'node:timers/promises';
import { queryLake } from '../../client/lake';
import type { ConveyorConfig } from '../../platform/config';
import { deploymentRegistry } from '../../definitions/registry';

export interface LakeReader {
  /** Stop reading; resolves with how many reads were made and every inconsistency seen. */
  stop(): Promise<{ reads: number; errors: string[] }>;
}

/**
 * Query `showroom.orders` over and over while workers write it, as an analyst would: every partition
 * a read sees must be whole (its expected row count, no duplicate order).
 */
export function readLakeThroughout(config: ConveyorConfig, expectedByPartition: Map<string, number>): LakeReader {
  let reading = true;
  let reads = 0;
  const errors: string[] = [];
  const loop = (async () => {
    while (reading) {
      try {
        const { rows } = await queryLake(config, 'SELECT partition_key, count(*) AS n, count(DISTINCT order_id) AS d FROM showroom.orders GROUP BY ALL', deploymentRegistry());
        for (const row of rows) {
          const want = expectedByPartition.get(String(row.partition_key));
          if (want === undefined) continue;
          if (Number(row.n) !== want || Number(row.d) !== want) errors.push(`${String(row.partition_key)}: ${String(row.n)} rows, want ${want}`);
        }
        reads += 1;
      } catch (err) {
        errors.push(String(err));
      }
      await sleep(50);
    }
  })();
  return {
    async stop() {
      reading = false;
      await loop;
      return { reads, errors };
    },
  };
}
