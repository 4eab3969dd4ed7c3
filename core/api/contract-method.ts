/**
 * The builder of contract entries, in its own module so the per-namespace contract files can use
 * it while contract.ts imports them (a helper defined in contract.ts itself would not yet exist
 * when those files run).
 */
import type { z } from 'zod';
import type { Access } from './access.ts';

export interface MethodSpec<I extends z.ZodType, O extends z.ZodType> {
  doc: string;
  input: I;
  output: O;
  /** Who may call it and from where, enforced by `dispatch` (access.ts). */
  access: Access;
}

/** One contract method: its doc string, input and output schemas, and who may call it from where (required). */
export const method = <I extends z.ZodType, O extends z.ZodType>(doc: string, input: I, output: O, access: Access): MethodSpec<I, O> => ({
  doc,
  input,
  output,
  access,
});
