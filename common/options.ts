/** zod-validated parsing helpers for CLI option values: one-line errors naming the value and what is allowed. */
import { z } from 'zod';
import { InputError } from './errors';

export function parseOption<T>(name: string, schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new InputError(`invalid ${name} ${JSON.stringify(value)}: ${parsed.error.issues[0]!.message}`);
  }
  return parsed.data;
}


export const intInRange = (min: number, max: number) =>
  z.coerce
    .number({ error: `expected a whole number from ${min} to ${max}` })
    .int(`expected a whole number from ${min} to ${max}`)
    .min(min, `expected a whole number from ${min} to ${max}`)
    .max(max, `expected a whole number from ${min} to ${max}`);
