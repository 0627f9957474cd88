/** Partition schemes (common/partitions.ts): keys, ranges, availability and windows of each kind. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { partitionsSchema, PartitionScheme, type PartitionsDeclaration } from '../common/partitions';
import { downstreamKeys, mappingError, upstreamRange } from '../common/mapping';
import type { UpstreamInput } from '../definitions/source-schema';

const scheme = (spec: PartitionsDeclaration) => new PartitionScheme(partitionsSchema.parse(spec));
const hourly = scheme({ kind: 'hourly', first: '2024-01-01T00' });
const daily = scheme({ kind: 'daily', first: '2015-01-01' });
const weekly = scheme({ kind: 'weekly', first: '2024-W01' });
const monthly = scheme({ kind: 'monthly', first: '2020-01', lag: 1 });
const regions = scheme({ kind: 'static', keys: ['eu', 'us', 'apac'] });

describe('partition schemes', () => {
  it('accept their own keys only, and sort them in time order as strings', () => {
    for (const [s, good, bad] of [
      [hourly, ['2024-03-01T05', '2024-02-29T23'], ['2024-03-01', '2024-03-01T24', '2023-02-29T00', '2024-03-01T5']],
      [daily, ['2024-02-29'], ['2023-02-29', '2024-03', '2024-03-01T05', 'yesterday']],
      [weekly, ['2024-W10', '2020-W53', '2024-W01'], ['2024-W00', '2021-W53', '2024-10', '2024-W1']],
      [monthly, ['2024-03', '2024-12'], ['2024-13', '2024-00', '2024-03-01']],
      [regions, ['eu', 'apac'], ['EU', 'mars', '']],
    ] as const) {
      for (const k of good) assert.ok(s.isKey(k), `${s.kind} ${k}`);
      for (const k of bad) assert.ok(!s.isKey(k), `${s.kind} ${k}`);
    }
    for (const s of [hourly, daily, weekly, monthly]) {
      const keys = [...s.range(s.next(s.first, 40)!, s.next(s.first, 140)!)];
      assert.deepEqual([...keys].sort(), keys, `${s.kind} keys sort in time order`);
    }
  });

  it('refuse a key of another scheme in one line that shows the expected form with an example', () => {
    assert.throws(() => hourly.parse('2024-03-01'), /^PartitionKeyError: partition '2024-03-01' is not an hour as YYYY-MM-DDTHH, e.g. 2024-03-01T05$/);
    assert.throws(() => daily.parse('2024-03-01T05'), /is not a day as YYYY-MM-DD, e.g. 2024-03-01$/);
    assert.throws(() => weekly.parse('2024-03'), /is not a week as YYYY-Www \(ISO week, Monday to Sunday\), e.g. 2024-W10$/);
    assert.throws(() => monthly.parse('2024-03-01'), /is not a month as YYYY-MM, e.g. 2024-03$/);
    assert.throws(() => regions.parse('mars'), /partition 'mars' is not one of eu, us, apac$/);
    assert.throws(() => partitionsSchema.parse({ kind: 'hourly', first: '2024-01-01' }), /'2024-01-01' is not an hour as YYYY-MM-DDTHH/);
  });

  it('step, count and enumerate across days, leap years, ISO years and months', () => {
    assert.equal(hourly.next('2024-02-28T23'), '2024-02-29T00');
    assert.equal(hourly.next('2024-03-01T00', -1), '2024-02-29T23');
    assert.equal(hourly.count('2024-01-01T00', '2024-12-31T23'), 366 * 24);
    assert.equal(daily.count('2016-01-01', '2025-12-31'), 3653);
    assert.equal(daily.count('2024-01-02', '2024-01-01'), 0);
    assert.equal(weekly.next('2020-W53'), '2021-W01');
    assert.equal(weekly.next('2024-W52'), '2025-W01');
    assert.equal(weekly.count('2024-W01', '2024-W52'), 52);
    assert.equal(monthly.next('2024-12'), '2025-01');
    assert.equal(monthly.count('2020-01', '2024-12'), 60);
    assert.deepEqual([...regions.range('us', 'apac')], ['us', 'apac']);
    assert.equal(regions.next('apac'), undefined);
  });

  it('know their windows (UTC) and the newest partition whose data can exist', () => {
    const at = Date.UTC(2024, 2, 1, 5, 30); // Friday 2024-03-01 05:30 UTC, ISO week 2024-W09
    assert.equal(hourly.latestAt(at), '2024-03-01T04');
    assert.equal(daily.latestAt(at), '2024-02-29');
    assert.equal(weekly.keyAt(at), '2024-W09');
    assert.equal(weekly.latestAt(at), '2024-W08');
    assert.equal(monthly.latestAt(at), '2024-02');
    assert.equal(regions.latestAt(at), 'apac');
    assert.deepEqual(weekly.windowOf('2024-W09'), { startMs: Date.UTC(2024, 1, 26), endMs: Date.UTC(2024, 2, 4) });
    assert.deepEqual(monthly.windowOf('2024-02'), { startMs: Date.UTC(2024, 1, 1), endMs: Date.UTC(2024, 2, 1) });
    assert.equal(hourly.availableAtMs('2024-03-01T04'), Date.UTC(2024, 2, 1, 5));
    assert.equal(scheme({ kind: 'daily', first: '2024-01-01', lag: 0 }).latestAt(at), '2024-03-01');
  });
});

describe('partition mappings', () => {
  const input = (pipeline: string, mapping: UpstreamInput['mapping'], shift = 0): UpstreamInput => ({ pipeline, mapping, shift });
  it('map a day to its 24 hours, a month to the weeks that overlap it (straddling ones included), a week to a 7-day window', () => {
    assert.deepEqual(upstreamRange(daily, hourly, input('h', { kind: 'covering' }), '2024-03-01'), { from: '2024-03-01T00', to: '2024-03-01T23' });
    assert.deepEqual(upstreamRange(daily, hourly, input('h', { kind: 'covering' }, -24), '2024-03-01'), { from: '2024-02-29T00', to: '2024-02-29T23' });
    // October 2024 starts on a Tuesday (week 2024-W40 began on 30 September) and ends in the week of 28 October.
    assert.deepEqual(upstreamRange(monthly, weekly, input('w', { kind: 'covering' }), '2024-10'), { from: '2024-W40', to: '2024-W44' });
    assert.deepEqual(upstreamRange(monthly, daily, input('d', { kind: 'covering' }), '2024-02'), { from: '2024-02-01', to: '2024-02-29' });
    assert.deepEqual(upstreamRange(daily, daily, input('d', { kind: 'window', partitions: 7 }), '2024-03-01'), { from: '2024-02-24', to: '2024-03-01' });
    assert.deepEqual(upstreamRange(daily, daily, input('d', { kind: 'same' }, -1), '2024-03-01'), { from: '2024-02-29', to: '2024-02-29' });
    assert.deepEqual(upstreamRange(regions, regions, input('r', { kind: 'same' }), 'us'), { from: 'us', to: 'us' });
  });
  it('refuse a mapping that does not fit the two schemes, in one line', () => {
    assert.match(mappingError(hourly, monthly, input('m', { kind: 'covering' }))!, /^an hourly pipeline reading m \(monthly\) with 'covering' needs an upstream as fine or finer \(allowed: hourly\)$/);
    assert.match(mappingError(daily, hourly, input('h', { kind: 'same' }))!, /needs the same scheme; use 'covering'/);
    assert.match(mappingError(regions, daily, input('d', { kind: 'covering' }))!, /'covering' needs time partitions/);
    assert.equal(mappingError(monthly, weekly, input('w', { kind: 'covering' })), undefined);
  });
});

describe('partition mappings, the other way', () => {
  const input = (pipeline: string, mapping: UpstreamInput['mapping'], shift = 0): UpstreamInput => ({ pipeline, mapping, shift });
  it('name the downstream partitions a published upstream partition concerns', () => {
    assert.deepEqual(downstreamKeys(daily, hourly, input('h', { kind: 'covering' }), '2024-03-01T05'), ['2024-03-01']);
    assert.deepEqual(downstreamKeys(daily, hourly, input('h', { kind: 'covering' }, -24), '2024-02-29T05'), ['2024-03-01'], 'shifted: the next day reads it');
    assert.deepEqual(downstreamKeys(monthly, weekly, input('w', { kind: 'covering' }), '2024-W44'), ['2024-10', '2024-11'], 'a straddling week concerns both months');
    assert.deepEqual(downstreamKeys(daily, daily, input('d', { kind: 'window', partitions: 3 }), '2024-03-01'), ['2024-03-01', '2024-03-02', '2024-03-03']);
    assert.deepEqual(downstreamKeys(daily, daily, input('d', { kind: 'same' }), '2014-12-31'), [], 'before the downstream\'s first partition');
    // Every downstream key found reads the upstream key back.
    for (const [down, up, m, key] of [[monthly, weekly, { kind: 'covering' }, '2024-W44'], [daily, daily, { kind: 'window', partitions: 7 }, '2024-03-01']] as const) {
      for (const k of downstreamKeys(down, up, input('x', m), key)) {
        const r = upstreamRange(down, up, input('x', m), k);
        assert.ok(up.indexOf(r.from)! <= up.indexOf(key)! && up.indexOf(key)! <= up.indexOf(r.to)!, `${k} reads ${key}`);
      }
    }
  });
});
