/**
 * Day arithmetic for code that works in days whatever the pipeline (tests, the bench, day-keyed sample
 * data): the daily scheme of common/partitions.ts, not a second implementation of it.
 */
import { PartitionScheme } from './partitions';

const days = new PartitionScheme({ kind: 'daily', first: '1900-01-01', lag: 0 });

/** True when `key` is a real calendar date written as `YYYY-MM-DD` (so `2024-02-30` is rejected). */
export const isPartitionKey = (key: string): boolean => days.isKey(key);

export const addDays = (key: string, n: number): string => days.next(key, n)!;

/** The day (UTC) containing `epochMs`. */
export const partitionKeyOf = (epochMs: number): string => days.keyAt(epochMs);

/** Number of days from `from` to `to`, both inclusive (0 when `from` is after `to`). */
export const countPartitions = (from: string, to: string): number => days.count(from, to);
