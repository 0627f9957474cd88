"""How a transform's exception is classed and told, in the team's own terms.

`DataError` is data (not retried); `TransientError`, a connection error, a timeout or an HTTP 429/5xx is
transient (retried); a Spark error over the data's values (a cast that fails, an overflow) is data;
anything else is code (not retried), with its type, message and the line of the team's code it came from.
"""
from __future__ import annotations

import traceback

from .context import DataError, TransientError

FAILURE_TYPES = {"transient": "TransientFailure", "data": "DataFailure", "code": "CodeFailure"}

#: Spark error conditions raised by the values of the data, not by the job's code.
SPARK_DATA_CONDITIONS = frozenset({
    "CAST_INVALID_INPUT", "CAST_OVERFLOW", "ARITHMETIC_OVERFLOW", "DIVIDE_BY_ZERO", "NUMERIC_VALUE_OUT_OF_RANGE",
    "INVALID_ARRAY_INDEX", "MALFORMED_RECORD_IN_PARSING", "DATETIME_FIELD_OUT_OF_BOUNDS", "CANNOT_PARSE_TIMESTAMP",
})

#: Errors of the link between the Spark driver's Python and its JVM, or to a cluster: retried.
TRANSIENT_TYPE_NAMES = frozenset({"Py4JNetworkError", "SparkConnectGrpcException"})


def spark_condition(error: BaseException) -> str | None:
    """A PySpark error's condition (`CAST_INVALID_INPUT`), or None."""
    condition = getattr(error, "getCondition", None) or getattr(error, "getErrorClass", None)
    if not callable(condition):
        return None
    try:
        value = condition()
    except Exception:  # noqa: BLE001 - a condition we cannot read is no condition
        return None
    return str(value) if value else None


def failure_class_of(error: BaseException) -> str:
    """`data`, `transient` or `code`, for an exception a transform raised."""
    if isinstance(error, DataError):
        return "data"
    if isinstance(error, (TransientError, ConnectionError, TimeoutError)) or type(error).__name__ in TRANSIENT_TYPE_NAMES:
        return "transient"
    condition = spark_condition(error)
    if condition and condition.split(".")[0] in SPARK_DATA_CONDITIONS:
        return "data"
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None) or getattr(error, "status", None) or getattr(error, "code", None)
    if isinstance(status, int) and (status == 429 or 500 <= status <= 599):
        return "transient"
    return "code"


def _ours(filename: str) -> bool:
    """A frame of the team's code: not a library's, not Conveyor's worker."""
    return "site-packages" not in filename and "/conveyor_worker/" not in filename and not filename.startswith("<")


def describe(error: BaseException) -> str:
    """`ZeroDivisionError: division by zero (transform.py:12)`: the error in the team's own terms.

    The line is the last one of the team's code the error passed (a Spark error is raised deep in
    PySpark); the message its first line (Spark's carry the JVM's stack trace after it).
    """
    frames = traceback.extract_tb(error.__traceback__)
    theirs = [f for f in frames if _ours(f.filename)] or frames
    where = f" ({theirs[-1].filename.rsplit('/', 1)[-1]}:{theirs[-1].lineno})" if theirs else ""
    message = str(error).strip().split("\n", 1)[0][:500]
    return f"{type(error).__name__}: {message}{where}"
