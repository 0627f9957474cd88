/**
 * The partition workflow's input, validated with zod on both sides of the boundary:
 * by the client before starting, and by the workflow itself (workflows can be started by anyone).
 * Pure: safe to import from workflow code.
 */
import { z } from 'zod';
import { OVERRIDE_KINDS } from '../common/run-record';
import { IDENTIFIER_PATTERN } from '../common/identifiers';
import { ANY_PARTITION_KEY } from '../common/partitions';
import { RUN_KINDS } from '../common/search-attributes';

/**
 * What starts a partition run: the pipeline and the partition, nothing of the pipeline's settings
 * (the run resolves them from the definition when it starts). Any other field is refused in one line.
 */
export const partitionRunInputSchema = z
  .object({
    pipeline: z.string().regex(IDENTIFIER_PATTERN, 'a pipeline name (lower-case letters, digits, _)'),
    /** A key of the pipeline's scheme (checked against the definition when the run starts). */
    partition: z.string().regex(ANY_PARTITION_KEY, 'a partition key (letters, digits, - and _, e.g. 2024-03-01 or 2024-03-01T05)'),
    /** Why it runs: shown in the Web UI and the run's record (`manual` when left out). */
    runKind: z.enum(RUN_KINDS).default('manual'),
    /** The backfill that started it (a backfill's runs fail fast when their data is not there). */
    backfillId: z.string().min(1).optional(),
    /** An operator's override that started this run (a rerun with its reason), for the manifest. */
    override: z
      .object({ kind: z.enum(OVERRIDE_KINDS), reason: z.string().min(1), by: z.string().min(1), at: z.string().min(1) })
      .strict()
      .optional(),
  })
  .strict();

/** The fields a partition run's input may have. */
export const PARTITION_RUN_INPUT_FIELDS = Object.keys(partitionRunInputSchema.shape);

export type PartitionRunInput = z.infer<typeof partitionRunInputSchema>;
/** An input as a caller writes it (`runKind` may be left out). */
export type PartitionRunRequestInput = z.input<typeof partitionRunInputSchema>;

/** One line naming the bad field, its value and what is allowed (`fields`: an input's allowed top-level fields). */
export function describeInputError(error: z.ZodError, input: unknown, fields?: readonly string[]): string {
  const issue = error.issues[0]!;
  const fieldPath = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const where = fieldPath.length > 0 ? `${fieldPath.join('.')}.` : '';
    const allowed = fieldPath.length === 0 && fields ? ` (allowed: ${fields.join(', ')})` : '';
    return `invalid input: unknown field ${issue.keys.map((k) => `'${where}${k}'`).join(', ')}${allowed}`;
  }
  let value: unknown = input;
  for (const key of fieldPath) value = (value as Record<string, unknown> | undefined)?.[key];
  return `invalid ${fieldPath.join('.') || 'input'}=${JSON.stringify(value)}: ${issue.message}`;
}
