/** Where a Spark job runs, as a definition (`transform.master`) or the environment (CONVEYOR_SPARK_MASTER) names it. */
import { z } from 'zod';

export const SPARK_MASTER_FORMS = 'local, local[N], local[*] or spark://host:port (a standalone master)';

/** `local`, `local[N]`, `local[*]`, or a standalone cluster's master `spark://host:port[,host:port]`. */
export const sparkMasterSchema = z.string().regex(/^(local(\[(\*|[1-9][0-9]*)\])?|spark:\/\/[^\s/:,]+:[0-9]+(,[^\s/:,]+:[0-9]+)*)$/, `expected ${SPARK_MASTER_FORMS}`);

export const DEFAULT_SPARK_MASTER = 'local[*]';
