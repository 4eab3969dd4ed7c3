/**
 * The window's one contract client. In a plain browser the page comes from `flowdesk serve`, so
 * calls go to the same origin over HTTP (the server refuses any other origin).
 */
import { createClient, type Client } from '#core/api/client.ts';
import { createHttpTransport } from '#core/api/http-transport.ts';

/** The contract client every view calls through. */
export const api: Client = createClient(createHttpTransport({ baseUrl: location.origin, fetch: (url, init) => fetch(url, init) }));
