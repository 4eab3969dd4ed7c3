/** A string literal of the query language: quoted, with a backslash before a quote or a backslash (as the tokenizer reads it). */
export function quoteFilterString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
