/**
 * JSON for the wire. JSON has no NaN or Infinity; MLflow sends them as the strings "NaN",
 * "Infinity" and "-Infinity", and so do we (JSON.stringify alone would write null). A -0 is
 * written as -0.0, which MLflow's clients read back as -0.0 (JSON.stringify alone writes 0).
 */
import { toWireJson } from '#core/api/http-transport.ts';

/** Serialises a response body; the same encoding as the contract's HTTP transport. */
export function jsonStringify(value: unknown): string {
  return toWireJson(value);
}
