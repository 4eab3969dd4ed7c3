/**
 * The address scripts log to, as the empty states print it. In a browser the window comes from
 * `flowdesk serve` itself, so its origin is that server (its real host and port).
 */
export function trackingUri(): string {
  return location.origin;
}
