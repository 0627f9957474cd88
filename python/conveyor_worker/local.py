"""`python -m conveyor_worker.local`: run one `python` transform here, without a server.

For a pipeline's own test (`checkPipelineSample`): the request as the activity gets it, on stdin (JSON,
with `lake_dir`, `output` and `rejects`); one JSON line on stdout: `{"rows", "rejects", "engine"}`, or
`{"failureClass", "message"}` when the function raised.
"""
from __future__ import annotations

import json
import sys

from .activity import describe, engine, failure_class_of
from .transform import run_transform


def main() -> None:
    request = json.load(sys.stdin)
    try:
        counts = run_transform(request)
    except Exception as error:  # noqa: BLE001 - reported, classed, as the worker reports it
        print(json.dumps({"failureClass": failure_class_of(error), "message": describe(error)}))
        return
    print(json.dumps({**counts, "engine": engine()}))


if __name__ == "__main__":
    main()
