/** The orders pipeline's own tests: its sample-data generator and its SQL, beside its definition. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { sqlOf } from 'conveyor/pipeline';
import { ORDER_CURRENCIES, ORDER_STATUSES, ordersPipeline } from './definition';
import { generateOrdersPartition } from './generate';

describe('orders: sample data generator', () => {
  it('is deterministic per date, writes the marker last, and injects faults', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conveyor-gen-'));
    const a = generateOrdersPartition({ landingDir: dir, partition: '2024-01-01', rows: 200, files: 2 });
    const first = fs.readFileSync(path.join(a.dir, 'part-0000.csv'), 'utf8');
    generateOrdersPartition({ landingDir: dir, partition: '2024-01-01', rows: 200, files: 2 });
    assert.equal(fs.readFileSync(path.join(a.dir, 'part-0000.csv'), 'utf8'), first);
    assert.deepEqual(fs.readdirSync(a.dir).sort(), ['_SUCCESS', 'part-0000.csv', 'part-0001.csv']);

    const bad = generateOrdersPartition({ landingDir: dir, partition: '2024-01-02', rows: 1000, files: 1, faults: ['malformed', 'no-marker'] });
    assert.ok(bad.malformedRows > 0);
    assert.deepEqual(fs.readdirSync(bad.dir).sort(), ['part-0000.csv']);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('orders: validate.sql', () => {
  it('is filled from the lists the generator draws from', () => {
    const sql = sqlOf(ordersPipeline);
    assert.doesNotMatch(sql, /\{\{/, 'every placeholder filled');
    for (const value of [...ORDER_CURRENCIES, ...ORDER_STATUSES]) assert.match(sql, new RegExp(`'${value}'`));
    assert.match(sql, /is not one of EUR, USD, GBP/);
  });
});
