/**
 * The `spark` transform. Its PySpark job runs on Conveyor's Python worker, in the Spark driver the
 * worker keeps between partitions, on the transform's master (`local[*]` or a standalone cluster): the
 * workflow schedules it there before transform, as for a `python` function, and it writes its rows as
 * a folder of Parquet files into the run's staging folder. Transform then finishes here as for every kind.
 */
import type { SparkTransform } from '../definitions/transform-schema';
import { loadConfig } from '../platform/config';
import { readProduced } from './python';
import { sparkUnsupported } from './python-worker';
import type { TransformCall, TransformModule } from './transform';

export const sparkTransform: TransformModule<SparkTransform> = {
  runsInProcess: false,
  // Run by the Python worker, writing a lake folder: what it cannot serve, a Spark job cannot use either.
  unavailable() {
    return sparkUnsupported(loadConfig());
  },
  run: (call) => readProduced(call),
  async engine(call: TransformCall<SparkTransform>) {
    return call.produced?.engine ?? 'spark';
  },
};
