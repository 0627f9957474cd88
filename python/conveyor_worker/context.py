"""What a `python` transform gets, what it may return, and the errors it raises."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable


class DataError(Exception):
    """The partition's data is bad: a `data` failure, never retried."""


class TransientError(Exception):
    """A passing fault (a service that is down, a rate limit): a `transient` failure, retried."""


@dataclass(frozen=True)
class TransformContext:
    """The partition a transform makes the rows of, and the run's snapshot of its input."""

    pipeline: str
    partition: str
    run_id: str
    #: The snapshot's files by input: `raw` (landed files, a source function's rows), or each upstream view.
    inputs: dict[str, list[str]]
    #: `csv`, `jsonl` or `parquet`.
    input_format: str
    #: A time partition's window, UTC (the end exclusive); None for a static key.
    start: datetime | None = None
    end: datetime | None = None
    #: Say it is alive, with progress (the worker heartbeats on its own too).
    heartbeat: Callable[[Any], None] = field(default=lambda details=None: None, repr=False)

    @property
    def files(self) -> list[str]:
        """Every input file (landed files, or all upstream partitions' files)."""
        return [f for files in self.inputs.values() for f in files]


@dataclass(frozen=True)
class Output:
    """The rows, and the records it rejected (a frame or list with `source_file`, `record_no`, `reason`, `raw_record`)."""

    rows: Any
    rejects: Any = None
