/**
 * Daily partition keys (`YYYY-MM-DD`, UTC calendar days).
 *
 * Pure and deterministic: imported by workflow code as well as by activities and CLIs.
 */

const PARTITION_KEY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const MS_PER_DAY = 86_400_000;

/** True when `key` is a real calendar date written as `YYYY-MM-DD` (so `2024-02-30` is rejected). */
export function isPartitionKey(key: string): boolean {
  const match = PARTITION_KEY_PATTERN.exec(key);
  if (!match) return false;
  const [, y, m, d] = match;
  const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  return (
    date.getUTCFullYear() === Number(y) && date.getUTCMonth() === Number(m) - 1 && date.getUTCDate() === Number(d)
  );
}

/** Days since 1970-01-01 for a valid key; callers validate first. */
export function partitionKeyToDayNumber(key: string): number {
  const [y, m, d] = key.split('-').map(Number) as [number, number, number];
  return Math.round(Date.UTC(y, m - 1, d) / MS_PER_DAY);
}

export function dayNumberToPartitionKey(day: number): string {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
}

export function addDays(key: string, days: number): string {
  return dayNumberToPartitionKey(partitionKeyToDayNumber(key) + days);
}

/** The partition key of the UTC day containing `epochMs`. */
export function partitionKeyOf(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

/** The newest daily partition whose data can exist at `epochMs`, when a day's data lands `lagDays` after it starts (UTC). */
export function partitionAvailableAt(epochMs: number, lagDays: number): string {
  return addDays(partitionKeyOf(epochMs), -lagDays);
}

/** Number of daily partitions from `from` to `to`, both inclusive (0 when `from` is after `to`). */
export function countPartitions(from: string, to: string): number {
  return Math.max(0, partitionKeyToDayNumber(to) - partitionKeyToDayNumber(from) + 1);
}
