/**
 * The engine's one logging shape: a message and, for failures, the error with its stack. Callers
 * take a `Log` so the desktop app, the CLI and tests can each decide where lines go.
 */

/** Reports a line, with the error behind it when there is one. */
export type Log = (message: string, err?: unknown) => void;

/** The default `Log`: standard error, where the CLI and the desktop app's log file read it. */
export const logToConsole: Log = (message, err) => {
  if (err === undefined) console.error(message);
  else console.error(message, err);
};
