/**
 * One entry of a method table: a doc string and the input and output schemas. Its own module so
 * that the per-namespace contract files can build entries without importing contract.ts, which
 * imports them.
 */
import type { z } from 'zod';

export interface MethodSpec<I extends z.ZodType, O extends z.ZodType> {
  doc: string;
  input: I;
  output: O;
}

export const method = <I extends z.ZodType, O extends z.ZodType>(doc: string, input: I, output: O): MethodSpec<I, O> => ({
  doc,
  input,
  output,
});
