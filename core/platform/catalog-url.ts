/**
 * The catalog's location as a person gives it (`--catalog`, FLOWDESK_CATALOG): a PostgreSQL URL
 * or a SQLite file. Shared by the catalog that opens it and the commands that check and print it,
 * which must not load the PostgreSQL catalog to do so.
 */

/** True for a postgres:// or postgresql:// URL, the forms `--catalog` accepts for PostgreSQL. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/** The URL without its password, for messages and `catalog.path`. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}
