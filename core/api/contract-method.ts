/**
 * The builder of contract entries, in its own module so the per-namespace contract files can use
 * it while contract.ts imports them (a helper defined in contract.ts itself would not yet exist
 * when those files run).
 */
import type { z } from 'zod';

export interface MethodSpec<I extends z.ZodType, O extends z.ZodType> {
  doc: string;
  input: I;
  output: O;
}

/** One contract method: its doc string, input schema and output schema. */
export const method = <I extends z.ZodType, O extends z.ZodType>(doc: string, input: I, output: O): MethodSpec<I, O> => ({
  doc,
  input,
  output,
});
