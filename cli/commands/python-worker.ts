/**
 * `conveyor python-worker`: Conveyor's Python worker (python/, the Temporal Python SDK), serving the
 * `python` transforms of every pipeline on CONVEYOR_PYTHON_TASK_QUEUE until Ctrl-C; running functions
 * finish first. `conveyor worker` starts one beside itself when a pipeline needs it. Run more (here or
 * on machines sharing the lake folder) for more Python capacity.
 */
import type { Command } from 'commander';
import { Unavailable } from '../../common/errors';
import type { ConveyorConfig } from '../../platform/config';
import { pipelineRoots, type PipelineRegistry } from '../../definitions/registry';
import { SHUTDOWN_GRACE_SECONDS } from '../../workers/create-worker';
import { PYTHON_WORKER, PYTHON_WORKER_SETTINGS, pythonWorkerSettings, pythonWorkerUnavailable, servedByPythonWorker, sparkUnavailable } from '../../transforms/python-worker';
import { runChild, type ChildSpec } from '../children';
import type { Context } from '../context';
import { examples } from '../output';

class PythonWorkerUnavailable extends Unavailable {
  override name = 'PythonWorkerUnavailable';
}

/** The Python worker's process, or a one-line refusal when it cannot run here (or cannot run a deployed `spark` job). */
export function pythonWorkerChild(config: ConveyorConfig, registry: PipelineRegistry): ChildSpec {
  const spark = servedByPythonWorker(registry, config).some((p) => p.transform.kind === 'spark');
  const why = pythonWorkerUnavailable(config) ?? (spark ? sparkUnavailable() : undefined);
  if (why) throw new PythonWorkerUnavailable(`cannot start the Python worker: ${why}`);
  return { command: PYTHON_WORKER, args: [], env: { ...process.env, [PYTHON_WORKER_SETTINGS]: pythonWorkerSettings(config, pipelineRoots(), SHUTDOWN_GRACE_SECONDS) } };
}

export function register(program: Command, ctx: Context): void {
  program
    .command('python-worker')
    .summary('run a Python worker for python transforms')
    .description("Run Conveyor's Python worker: it runs pipelines' python transforms (on CONVEYOR_PYTHON_TASK_QUEUE) until Ctrl-C; running functions finish first.")
    .addHelpText('after', examples('npx conveyor python-worker', 'CONVEYOR_PYTHON_ACTIVITY_SLOTS=8 npx conveyor python-worker'))
    .action(async () => {
      ctx.exitCode = await runChild(pythonWorkerChild(ctx.config, ctx.registry));
    });
}
