/**
 * Reads where a filter went wrong from the server's message, so the filter box can point at the
 * character. The search compiler words them "Invalid filter at position N: why" (N counts code
 * points from 1, as a person counts the characters they typed).
 */

/** A filter error placed in the filter's text. */
export interface FilterError {
  /** 1-based code-point position, or undefined when the message names none. */
  position?: number;
  message: string;
}

const POSITIONED = /^Invalid filter at position (\d+): ([\s\S]*)$/;

/** Splits the server's message into position and reason. */
export function parseFilterError(message: string): FilterError {
  const match = POSITIONED.exec(message);
  if (!match) return { message };
  return { position: Number(match[1]), message: match[2]! };
}

/** The filter split around the faulty character: before, the character (a space past the end), after. */
export function splitAtPosition(filter: string, position: number): [string, string, string] {
  const chars = Array.from(filter);
  const index = Math.min(Math.max(position - 1, 0), chars.length);
  return [chars.slice(0, index).join(''), chars[index] ?? ' ', chars.slice(index + 1).join('')];
}
