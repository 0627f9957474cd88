"""Start one Conveyor partition from Python and wait for its outcome (docs/services.md).

    python start_partition.py <temporal address> <task queue> <pipeline> <partition>

Prints the run's result as JSON on success (exit 0), or its failure (class, step, reason) as JSON
(exit 1). Starting a partition that is already running attaches to that run (USE_EXISTING).
"""
import asyncio
import json
import os
import sys
import traceback

from temporalio.client import Client, WorkflowFailureError
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import ApplicationError


async def main(address: str, task_queue: str, pipeline: str, partition: str) -> int:
    client = await Client.connect(address)
    try:
        result = await client.execute_workflow(
            "partitionPipeline",
            {"pipeline": pipeline, "partition": partition},
            id=f"{pipeline}.{partition}",  # the partition's workflow ID: one run of it at a time
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
    except WorkflowFailureError as err:
        cause = err.cause
        if isinstance(cause, ApplicationError):
            # type: TransientFailure | DependencyFailure | DataFailure | CodeFailure; details[0]: the failure record
            print(json.dumps({"failed": {"type": cause.type, "message": cause.message, "failure": cause.details[0] if cause.details else None}}))
            return 1
        raise
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    try:
        code = asyncio.run(main(*sys.argv[1:5]))
    except Exception:
        traceback.print_exc()
        code = 2
    # Leave without the interpreter's finalization: with temporalio 1.35.0 it aborts now and then
    # (SIGABRT, "Python runtime state: finalizing") after the work is done, turning a success into exit 134.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
