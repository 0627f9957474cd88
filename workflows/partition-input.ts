/**
 * The partition workflow's input, validated with zod on both sides of the boundary:
 * by the client before starting, and by the workflow itself (workflows can be started by anyone).
 * Pure: safe to import from workflow code.
 */
import { z } from 'zod';
import { IDENTIFIER_PATTERN } from '../common/identifiers';
import { ANY_PARTITION_KEY } from '../common/partitions';
import { RUN_KINDS } from '../common/search-attributes';

export const partitionRunInputSchema = z.object({
  pipeline: z.string().regex(IDENTIFIER_PATTERN, 'a pipeline name (lower-case letters, digits, _)'),
  /** A key of the pipeline's scheme (the steps check it against the definition). */
  partition: z.string().regex(ANY_PARTITION_KEY, 'a partition key (letters, digits, - and _, e.g. 2024-03-01 or 2024-03-01T05)'),
  runKind: z.enum(RUN_KINDS),
  backfillId: z.string().min(1).optional(),
  /** Readiness polling, from the pipeline definition (overridable per run, e.g. by tests). */
  readiness: z.object({
    pollIntervalSeconds: z.number().int().positive(),
    timeoutSeconds: z.number().int().positive(),
  }),
  /** An operator's override that started this run (a rerun with its reason), for the manifest. */
  override: z
    .object({ kind: z.enum(['force', 'skip', 'rerun']), reason: z.string().min(1), by: z.string().min(1), at: z.string().min(1) })
    .optional(),
  /** Work-step limits, from the pipeline definition. */
  steps: z.object({
    timeoutSeconds: z.number().int().positive(),
    maxAttempts: z.number().int().min(1).max(20),
  }),
});

export type PartitionRunInput = z.infer<typeof partitionRunInputSchema>;

/** One line naming the bad field, its value and what is allowed. */
export function describeInputError(error: z.ZodError, input: unknown): string {
  const issue = error.issues[0]!;
  const fieldPath = issue.path.map(String);
  let value: unknown = input;
  for (const key of fieldPath) value = (value as Record<string, unknown> | undefined)?.[key];
  return `invalid ${fieldPath.join('.') || 'input'}=${JSON.stringify(value)}: ${issue.message}`;
}
