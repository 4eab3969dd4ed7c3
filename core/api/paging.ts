/**
 * Reading a paged contract method to its end: every method that pages answers a `nextPageToken`
 * until the last page, and callers that need everything (migrate, export) walk it the same way.
 */

/** Every item of a paged call, fetching page after page until no `nextPageToken` comes back. */
export async function allPages<T>(fetchPage: (pageToken?: string) => Promise<{ items: T[]; nextPageToken?: string }>): Promise<T[]> {
  const items: T[] = [];
  let token: string | undefined;
  do {
    const page = await fetchPage(token);
    items.push(...page.items);
    token = page.nextPageToken;
  } while (token);
  return items;
}
