/**
 * Model version numbers as MLflow spells them on the wire and in `models:/` URIs (a string of a
 * positive integer). Part of the contract's vocabulary, so the MLflow routes and the registry
 * read them the same way.
 */
import { invalid } from './errors.ts';

/** Parses a version number as MLflow sends it (a string of an integer), refusing anything else. */
export function parseVersion(text: string): number {
  const trimmed = text.trim();
  if (!/^\d{1,15}$/.test(trimmed) || Number(trimmed) < 1) throw invalid(`Model version must be an integer, got '${text}'.`);
  return Number(trimmed);
}
