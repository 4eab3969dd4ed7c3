/**
 * The one gate for artifact paths. Every path a caller hands the artifact store (from the MLflow
 * proxy routes, the contract, the CLI) passes through `checkArtifactPath` before anything touches
 * storage, so there is a single place to get path safety right.
 *
 * A path is a name, not a URL: '%' is an ordinary character in it (`acc_95%.txt`, and every file
 * of MLflow's step-wise `log_image`). Paths that arrive in a URL are percent-decoded exactly once,
 * by `decodeArtifactPath`, as any HTTP server decodes a URL; decoding again would turn
 * `acc_95%25.txt` into a malformed escape and `a%2520b` into another file.
 */
import { invalid, type FlowdeskError } from '#core/api/errors.ts';

/** Longest accepted path, in characters (code points) after decoding. */
const MAX_PATH_CHARS = 1024;
/** Longest accepted segment in UTF-8 bytes: NAME_MAX on Linux and macOS, and S3 keys stay sane. */
const MAX_SEGMENT_BYTES = 255;
/** A name still holding escapes after this many further decodings is refused rather than decoded forever. */
const MAX_DECODE_ROUNDS = 4;
/** How much of a refused input is echoed back in the error message. */
const MAX_ECHO_CHARS = 200;

/**
 * The error for a refused path, in the one message format (`Invalid path '<input>': <reason>`).
 * Exported so the store reports its own refusals (links leading out, reserved names) the same way.
 */
export function invalidPath(input: string, reason: string): FlowdeskError {
  return invalid(`Invalid path '${printable(input)}': ${reason}`);
}

/**
 * The artifact path a URL carries (a path segment or a query value), percent-decoded exactly once.
 * A malformed escape or one that is not UTF-8 is refused: no name can be told from it.
 */
export function decodeArtifactPath(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw invalidPath(encoded, 'it contains a malformed percent escape');
  }
}

/**
 * Checks a caller's artifact path and returns it normalized: relative, POSIX separators, no `.`
 * segments, no empty segments ('' is the root). Throws INVALID_PARAMETER_VALUE for anything that
 * could name a place outside the store or mean different things to different layers. The path is
 * taken as written (see the module comment); checking a normalized path again returns it unchanged.
 */
export function checkArtifactPath(input: string): string {
  const reason = refusal(input) ?? climbsWhenDecodedAgain(input);
  if (reason) throw invalidPath(input, reason);

  const segments = input.split('/').filter((s) => s !== '' && s !== '.');
  for (const segment of segments) {
    if (segment === '..') throw invalidPath(input, "it contains a '..' segment");
    // Windows drops trailing dots and spaces from names, so '.. ' would climb like '..'.
    if (/^[. ]+$/.test(segment)) throw invalidPath(input, `segment '${segment}' is only dots and spaces`);
    if (utf8Length(segment) > MAX_SEGMENT_BYTES) {
      throw invalidPath(input, `a segment is longer than ${MAX_SEGMENT_BYTES} bytes`);
    }
  }
  return segments.join('/');
}

/** Escaped overlong UTF-8 forms (of '.', '/' and the backslash among others), which lenient decoders turn into separators. */
const OVERLONG_ESCAPE = /%c[01]%[89ab][0-9a-f]|%e0%[89][0-9a-f]%[89ab][0-9a-f]|%f0%8[0-9a-f]%/i;

/**
 * Names Windows reserves for devices, with or without an extension and in any case: a file
 * called `nul.txt` cannot be created or copied there. COM0 and LPT0 are included, as recent
 * Windows versions reserve them too, and so are the console's CONIN$ and CONOUT$ and the
 * superscript-digit ports (COM¹, LPT³). Windows drops spaces before the extension when it looks
 * for a device, so `nul .txt` is NUL as well.
 */
const WINDOWS_DEVICE = /^(con|prn|aux|nul|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³]) *(\..*)?$/i;

/** Characters Windows or macOS refuse in a file name (NUL and other controls are refused for every path). */
const NOT_PORTABLE = /[:<>"|?*]/;

/**
 * `checkArtifactPath` for a path about to be created: every segment must also be a name the
 * data folder can carry to Windows and macOS (and an S3 store to a local download): no device
 * name, none of `:<>"|?*`, no trailing dot or space. `%`, `+`, other punctuation,
 * spaces and any Unicode stay allowed. Reading, listing and deleting use `checkArtifactPath`
 * alone, so a file written before these rules stays reachable (and removable).
 */
export function checkNewArtifactPath(input: string): string {
  const rel = checkArtifactPath(input);
  for (const segment of rel === '' ? [] : rel.split('/')) {
    const reason = unportable(segment);
    if (reason) throw invalidPath(input, `segment '${segment}' ${reason}, which Windows or macOS cannot store`);
  }
  return rel;
}

/** Why a segment cannot be a file name everywhere, or undefined when it can. */
function unportable(segment: string): string | undefined {
  if (WINDOWS_DEVICE.test(segment)) return 'is a reserved device name (CON, PRN, AUX, NUL, CONIN$, CONOUT$, COM0-9, LPT0-9)';
  const bad = NOT_PORTABLE.exec(segment);
  if (bad) return `contains '${bad[0]}'`;
  if (/[. ]$/.test(segment)) return 'ends with a dot or a space';
  return undefined;
}

/**
 * Why a name would lead out of the store if some later layer (a proxy, a script, a lenient
 * decoder) percent-decoded it again, or undefined. Only ways out are refused: a '..' segment, an
 * absolute or drive path, overlong escapes. Whatever else escapes decode to stays ordinary text,
 * since MLflow's image names (`loss%step%10%timestamp%...%<uuid>.png`) hold '%10' and, by chance
 * of the uuid, '%00', '%23' or '%5c'.
 */
/** A segment's length in UTF-8 bytes, as file systems limit names (a lone surrogate is written as U+FFFD, 3 bytes). */
function utf8Length(text: string): number {
  let bytes = 0;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}

/**
 * A run of escapes (`%XX%YY...`) as text. Bytes that are not UTF-8 become U+FFFD: only the ASCII
 * they hold matters to the checks below, and that is kept either way.
 */
function decodeEscapes(run: string): string {
  try {
    return decodeURIComponent(run);
  } catch {
    return run
      .slice(1)
      .split('%')
      .map((hex) => {
        const byte = parseInt(hex, 16);
        return byte < 0x80 ? String.fromCharCode(byte) : '\uFFFD';
      })
      .join('');
  }
}

function climbsWhenDecodedAgain(name: string): string | undefined {
  let current = name;
  for (let round = 0; ; round++) {
    if (OVERLONG_ESCAPE.test(current)) return 'it contains an overlong UTF-8 escape';
    const next = current.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => decodeEscapes(run));
    if (next === current) return undefined;
    if (round === MAX_DECODE_ROUNDS) return 'it is percent-encoded too many times';
    if (/^[\\/]/.test(next) || /^[A-Za-z]:/.test(next)) return 'percent-decoded, it is an absolute path';
    if (next.split(/[\\/]/).some((segment) => segment !== '.' && /^[. ]+$/.test(segment))) return "percent-decoded, it contains a '..' segment";
    current = next;
  }
}

/** Why a path is refused as a whole, or undefined when it passes these checks. */
function refusal(path: string): string | undefined {
  // C0 and C1 controls, NUL included: NUL truncates paths in C APIs, newlines forge log lines.
  if (/\p{Cc}/u.test(path)) return 'it contains a control character';
  // A lone surrogate has no UTF-8 form; the filesystem would store U+FFFD and alias other names.
  if (/\p{Cs}/u.test(path)) return 'it contains an unpaired surrogate';
  if (path.includes('\\')) return 'it contains a backslash';
  // URL delimiters: a layer that re-parses the path as a URL would cut it there.
  if (/[#?;]/.test(path)) return "it contains '#', '?' or ';'";
  if (path.startsWith('/')) return 'it is absolute';
  if (/^[A-Za-z]:/.test(path)) return 'it starts with a drive letter';
  if ([...path].length > MAX_PATH_CHARS) return `it is longer than ${MAX_PATH_CHARS} characters`;
  return undefined;
}

/** The input as safe to put in a message: controls escaped (no forged log lines), length capped. */
function printable(input: string): string {
  const escaped = input.replace(/\p{Cc}/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return escaped.length > MAX_ECHO_CHARS ? `${escaped.slice(0, MAX_ECHO_CHARS)}…` : escaped;
}
