"""Conveyor's Python worker: a pipeline's `python` transform, run as a Temporal activity.

A transform is a function of a pipeline's folder, `module:function`, given a `TransformContext` (the
partition, its window, the snapshot's files) and returning the partition's rows (a Polars, pandas or
PyArrow frame, or a list of dicts), or `Output(rows, rejects)`. Raise `DataError` for bad data (not
retried) and `TransientError` for a passing fault (retried).
"""
from .context import DataError, Output, TransformContext, TransientError

__all__ = ["DataError", "Output", "TransformContext", "TransientError"]
