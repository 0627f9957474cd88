"""`python -m conveyor_worker.local`: run one `python` transform (or `spark` job) here, without a server.

For a pipeline's own test (`checkPipelineSample`): the request as the activity gets it, on stdin (JSON,
with `lake_dir`, `output` and `rejects`); one JSON line on stdout: `{"rows", "rejects", "engine"}`, or
`{"failureClass", "message"}` when the function raised. A `spark` job runs on a session of its own
(`local[1]` unless the request names a master), stopped after it.
"""
from __future__ import annotations

import json
import sys
from typing import Any

from .activity import engine
from .failures import describe, failure_class_of
from .spark import engine_of, new_session, run_spark_job
from .transform import run_transform


def run(request: dict[str, Any]) -> dict[str, Any]:
    spark_settings = request.get("spark")
    if not spark_settings:
        return {**run_transform(request), "engine": engine()}
    spark = new_session(spark_settings.get("master") or "local[1]", spark_settings.get("conf") or {}, "conveyor-check")
    try:
        return {**run_spark_job(spark, request), "engine": engine_of(spark)}
    finally:
        spark.stop()


def main() -> None:
    request = json.load(sys.stdin)
    try:
        outcome = run(request)
    except Exception as error:  # noqa: BLE001 - reported, classed, as the worker reports it
        print(json.dumps({"failureClass": failure_class_of(error), "message": describe(error)}))
        return
    print(json.dumps(outcome))


if __name__ == "__main__":
    main()
