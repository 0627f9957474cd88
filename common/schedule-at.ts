/**
 * A schedule's `at`, in the terms of the pipeline's cadence, and the Temporal calendar it becomes.
 * hourly `:MM`; daily and static `HH:MM`; weekly `<mon..sun> HH:MM`; monthly `<1..28> HH:MM`. Pure.
 */
import type { PartitionKind } from './partitions';

const WEEKDAYS = { sun: 'SUNDAY', mon: 'MONDAY', tue: 'TUESDAY', wed: 'WEDNESDAY', thu: 'THURSDAY', fri: 'FRIDAY', sat: 'SATURDAY' } as const;
const FORMS: Record<PartitionKind, { pattern: RegExp; form: string }> = {
  hourly: { pattern: /^:([0-5]\d)$/, form: ':MM (minute past each hour), e.g. :05' },
  daily: { pattern: /^([01]\d|2[0-3]):([0-5]\d)$/, form: 'HH:MM (UTC), e.g. 02:00' },
  static: { pattern: /^([01]\d|2[0-3]):([0-5]\d)$/, form: 'HH:MM (UTC; every key runs daily), e.g. 02:00' },
  weekly: { pattern: /^(sun|mon|tue|wed|thu|fri|sat) ([01]\d|2[0-3]):([0-5]\d)$/, form: '<mon..sun> HH:MM (UTC), e.g. mon 02:00' },
  monthly: { pattern: /^([1-9]|1\d|2[0-8]) ([01]\d|2[0-3]):([0-5]\d)$/, form: '<day 1..28> HH:MM (UTC), e.g. 1 04:00' },
};

/** Why `at` does not fit the cadence (one line), or undefined when it does. */
export function scheduleAtError(kind: PartitionKind, at: string): string | undefined {
  const { pattern, form } = FORMS[kind];
  return pattern.test(at) ? undefined : `'${at}' is not a ${kind} schedule time: expected ${form}`;
}

export interface CalendarAt {
  minute: number;
  /** `'*'`: every hour (a calendar's hour defaults to 0, i.e. once a day). */
  hour: number | '*';
  dayOfWeek?: (typeof WEEKDAYS)[keyof typeof WEEKDAYS];
  dayOfMonth?: number;
}

/** The calendar of a valid `at` (call {@link scheduleAtError} first). */
export function calendarOf(kind: PartitionKind, at: string): CalendarAt {
  const m = FORMS[kind].pattern.exec(at)!;
  switch (kind) {
    case 'hourly':
      return { hour: '*', minute: Number(m[1]) };
    case 'daily':
    case 'static':
      return { hour: Number(m[1]), minute: Number(m[2]) };
    case 'weekly':
      return { dayOfWeek: WEEKDAYS[m[1] as keyof typeof WEEKDAYS], hour: Number(m[2]), minute: Number(m[3]) };
    case 'monthly':
      return { dayOfMonth: Number(m[1]), hour: Number(m[2]), minute: Number(m[3]) };
  }
}

/** "daily at 02:00 UTC", "hourly at :05", ... for notes, the graph and the README. */
export function describeScheduleAt(kind: PartitionKind, at: string): string {
  switch (kind) {
    case 'hourly':
      return `hourly at ${at}`;
    case 'weekly':
      return `weekly on ${at.replace(' ', ' at ')} UTC`;
    case 'monthly':
      return `monthly on day ${at.replace(' ', ' at ')} UTC`;
    case 'static':
      return `every key daily at ${at} UTC`;
    default:
      return `daily at ${at} UTC`;
  }
}
