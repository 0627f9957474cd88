"""Running one `python` transform: import the pipeline's function, call it, write its rows as Parquet.

Runs in a process of its own (activity.py starts one per partition), so a cancelled run can stop it.
"""
from __future__ import annotations

import importlib
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from .context import Output, TransformContext


def pipeline_folder(pipeline: str, folder: str) -> Path:
    """The pipeline's folder: where the TypeScript worker has it, else under CONVEYOR_PIPELINES_DIR here."""
    if folder and Path(folder).is_dir():
        return Path(folder)
    for root in filter(None, os.environ.get("CONVEYOR_PIPELINES_DIR", "").split(":")):
        if (Path(root) / pipeline).is_dir():
            return Path(root) / pipeline
    raise LookupError(f"pipeline {pipeline}'s folder is not on this Python worker ({folder}, nor under CONVEYOR_PIPELINES_DIR)")


def load_function(folder: Path, spec: str) -> Any:
    """`module:function`, the module a file of the pipeline's folder."""
    module_name, _, function_name = spec.partition(":")
    sys.path.insert(0, str(folder))
    try:
        # A fresh import each time: two pipelines may both have a `transform.py`.
        sys.modules.pop(module_name, None)
        return getattr(importlib.import_module(module_name), function_name)
    finally:
        sys.path.remove(str(folder))


def as_table(value: Any) -> pa.Table:
    """A Polars, pandas or PyArrow frame, or a list of dicts, as an Arrow table."""
    if isinstance(value, pa.Table):
        return value
    if hasattr(value, "to_arrow"):
        return value.to_arrow()
    if type(value).__module__.startswith("pandas"):
        return pa.Table.from_pandas(value, preserve_index=False)
    return pa.Table.from_pylist(list(value))


def context_of(request: dict[str, Any], heartbeat: Any = None) -> TransformContext:
    """What the function is told: the partition, its window, the snapshot's files (absolute paths)."""
    lake = Path(request["lake_dir"])
    return TransformContext(
        pipeline=request["pipeline"],
        partition=request["partition"],
        run_id=request["run_id"],
        inputs={view: [str(lake / f) for f in files] for view, files in request["inputs"].items()},
        input_format=request["input_format"],
        start=datetime.fromisoformat(request["start"]) if request.get("start") else None,
        end=datetime.fromisoformat(request["end"]) if request.get("end") else None,
        heartbeat=heartbeat or (lambda details=None: None),
    )


def write_output(result: Any, lake: Path, output: str, rejects: str) -> dict[str, int]:
    """The function's rows (and rejects) as Parquet files under the lake; their counts."""
    out = result if isinstance(result, Output) else Output(rows=result)
    rows = as_table(out.rows)
    (lake / output).parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(rows, lake / output)
    rejected = 0
    if out.rejects is not None:
        table = as_table(out.rejects)
        rejected = table.num_rows
        if rejected:
            pq.write_table(table, lake / rejects)
    return {"rows": rows.num_rows, "rejects": rejected}


def run_transform(request: dict[str, Any], heartbeat: Any = None) -> dict[str, int]:
    """Call the pipeline's function on the partition; its rows (and rejects) to Parquet. Returns the counts."""
    function = load_function(pipeline_folder(request["pipeline"], request["folder"]), request["function"])
    result = function(context_of(request, heartbeat))
    return write_output(result, Path(request["lake_dir"]), request["output"], request["rejects"])
