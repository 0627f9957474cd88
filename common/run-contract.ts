/**
 * What a partition run answers, as zod schemas: the result of a run that succeeded and the failure
 * record a failed run carries (its `ApplicationFailure` details). The TypeScript types in
 * common/run-types.ts are inferred from these, and docs/contract/*.schema.json is generated from them
 * (`npm run contract`), so the contract services read is never written twice. Pure: workflow code
 * may import it.
 */
import { z } from 'zod';
import { FAILURE_CLASSES } from './failure-classes';
import { RUN_KINDS } from './search-attributes';

/** A partition run's steps, in order: the one list (the per-step maps of results and run records are keyed by it). */
export const STEP_NAMES = ['awaitLanding', 'ingest', 'transform', 'publish'] as const;
export type StepName = (typeof STEP_NAMES)[number];

/** A value per step, every step present. */
const perStep = z.object(Object.fromEntries(STEP_NAMES.map((s) => [s, z.number().int().nonnegative()])) as Record<StepName, z.ZodNumber>);

export const rowCountsSchema = z.object({
  in: z.number().int().nonnegative().describe('rows read: landed records, or upstream rows'),
  rejected: z.number().int().nonnegative().describe('rows that failed validation (in the reject bin, quality.rejects)'),
  duplicate: z.number().int().nonnegative().describe('rows dropped as duplicates of an earlier row with the same unique key'),
  published: z.number().int().nonnegative().describe('rows in the published partition'),
});

export const partitionRunResultSchema = z
  .object({
    pipeline: z.string(),
    partition: z.string(),
    workflowId: z.string().describe('<pipeline>.<partition>'),
    runId: z.string(),
    runKind: z.enum(RUN_KINDS),
    status: z.literal('succeeded'),
    rows: rowCountsSchema,
    files: z.number().int().nonnegative().describe('input files (or upstream partitions) the run read'),
    attempts: perStep.describe('attempts per step (readiness: checks)'),
    durationsMs: perStep.describe('milliseconds per step'),
  })
  .describe('The result of a partition run that succeeded (partitionPipeline)');

/** A check's result: the definition's check, its severity, and how many rows broke it (0: passed). */
export const checkResultSchema = z.object({
  name: z.string().describe("the check's name"),
  severity: z.enum(['error', 'warn']).describe('`error`: a failure fails the partition, nothing published; `warn`: it publishes and alerts'),
  failed_rows: z.number().int().nonnegative().describe('rows its query returned: the rows that break it (0: it passed)'),
});
export type CheckResult = z.infer<typeof checkResultSchema>;

export const partitionFailureSchema = z
  .object({
    failureClass: z.enum(FAILURE_CLASSES).describe('transient and dependency were retried until the limits; data and code never are'),
    step: z.enum([...STEP_NAMES, 'workflow']),
    reason: z.string(),
    attempt: z.number().int().positive().optional(),
    rejectedRows: z.number().int().nonnegative().optional().describe('a data failure: rows rejected'),
    totalRows: z.number().int().nonnegative().optional().describe('a data failure: rows read'),
    sampleReasons: z.array(z.string()).optional().describe('a data failure: a few rejected rows, with their reasons'),
    checks: z.array(checkResultSchema).optional().describe("a failed check: every check's result (the run record's `checks`)"),
  })
  .describe("A failed partition run's record: the details of its ApplicationFailure, whose type is the class's (DataFailure, ...)");
