/**
 * JSON for the wire. JSON has no NaN or Infinity; MLflow sends them as the strings "NaN",
 * "Infinity" and "-Infinity", and so do we (JSON.stringify alone would write null).
 */
function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
  }
  return value;
}

export function jsonStringify(value: unknown): string {
  return JSON.stringify(value, replacer);
}
