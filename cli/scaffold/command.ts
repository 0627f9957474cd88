/**
 * `conveyor new-pipeline --transform command`: the pipeline's rows made by a program of its own, here a
 * Python 3 script using only the standard library (so its test runs anywhere Python does), in the
 * contract every command follows (docs/transforms.md): inputs in CONVEYOR_INPUTS, its rows written to
 * CONVEYOR_OUTPUT, rejected records to CONVEYOR_REJECTS, exit 65 for bad data and 75 to be retried.
 */
import type { Scaffold } from './common';

/** A time partition's window check: records outside it are rejected. */
const WINDOW_CHECK = `
    start = os.environ.get("CONVEYOR_PARTITION_START")
    end = os.environ.get("CONVEYOR_PARTITION_END")
    if start and not (parse_time(start) <= event_at < parse_time(end)):
        return None, f"event_at {record.get('event_at')!r} is outside partition {os.environ['CONVEYOR_PARTITION']}"`;

/** The script, with \`NAME\` and \`WINDOW_CHECK\` to fill. */
const SCRIPT = `#!/usr/bin/env python3
"""NAME: the partition's records (CONVEYOR_INPUTS) in, its rows out (CONVEYOR_OUTPUT, CSV).

Scaffolded by \`conveyor new-pipeline --transform command\`: replace what it does, keep what it is told
and what it writes. Exit 65 (EX_DATAERR) when the data is bad, 75 (EX_TEMPFAIL) to be retried; any
other failure is a bug in it (not retried). What it prints on stderr ends up in the failure's reason.
"""
import csv
import json
import os
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation


def parse_time(text):
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def records(name, fmt):
    with open(name, newline="") as f:
        if fmt == "csv":
            yield from csv.DictReader(f)
        else:
            for line in f:
                if line.strip():
                    yield json.loads(line)


def checked(record):
    """The row to publish, or None and why the record is rejected."""
    if not (record.get("id") or "").strip():
        return None, "id is empty"
    try:
        amount = Decimal(str(record.get("amount")))
    except InvalidOperation:
        return None, f"amount {record.get('amount')!r} is not a decimal number"
    try:
        event_at = parse_time(str(record.get("event_at")))
    except ValueError:
        return None, f"event_at {record.get('event_at')!r} is not a timestamp"WINDOW_CHECK
    return [record["id"].strip(), f"{amount:.2f}", event_at.strftime("%Y-%m-%d %H:%M:%S")], None


def main():
    fmt = os.environ["CONVEYOR_INPUT_FORMAT"]
    rows, rejects = [], []
    for name in json.loads(os.environ["CONVEYOR_INPUTS"])["raw"]:
        for record_no, record in enumerate(records(name, fmt), start=1):
            row, reason = checked(record)
            if row:
                rows.append(row)
            else:
                rejects.append([os.path.basename(name), record_no, reason, json.dumps(record)])
    with open(os.environ["CONVEYOR_OUTPUT"], "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "amount", "event_at"])
        writer.writerows(rows)
    if rejects:
        with open(os.environ["CONVEYOR_REJECTS"], "w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["source_file", "record_no", "reason", "raw_record"])
            writer.writerows(rejects)


if __name__ == "__main__":
    main()
`;

export function commandScript(s: Scaffold): string {
  return SCRIPT.replace('NAME', s.name).replace('WINDOW_CHECK', s.isTime ? WINDOW_CHECK : '');
}
