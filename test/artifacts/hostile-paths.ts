/**
 * Path forms an artifact store must refuse, as names and in URLs (where they are decoded once). `{abs}` stands for the absolute path of a canary
 * folder without its leading slash, and the relative forms climb to a `canary` folder next to the
 * store root, so a form that slipped through would hit something the tests watch.
 */
export const HOSTILE_PATHS: readonly string[] = [
  // Climbing out with '..', plain and encoded once, twice, three times, mixed case.
  '..',
  '../canary/secret.txt',
  'a/../../canary/secret.txt',
  'a/..',
  './../canary/secret.txt',
  '%2e%2e/canary/secret.txt',
  '%2E%2E%2Fcanary%2Fsecret.txt',
  '.%2e/canary/secret.txt',
  '..%2fcanary%2fsecret.txt',
  '%252e%252e%252fcanary%252fsecret.txt',
  '%25252e%25252e/canary/secret.txt',
  '%2e%2e%5ccanary%5csecret.txt',
  '..;/canary/secret.txt',
  '.. /canary/secret.txt',
  '%c0%ae%c0%ae/canary/secret.txt',
  // Backslashes: separators on Windows.
  '..\\canary\\secret.txt',
  'a\\b',
  '%5c%5cserver%5cshare',
  // Absolute, UNC, device and drive paths.
  '/',
  '/{abs}/secret.txt',
  '//{abs}/secret.txt',
  '%2f{abs}/secret.txt',
  '%252f{abs}/secret.txt',
  '//server/share/x',
  '\\\\server\\share',
  '\\\\?\\C:\\x',
  'C:',
  'C:/x',
  'c:\\x',
  'c:x',
  'C%3A%5Cx',
  // NUL and other control characters, raw and encoded.
  'a\u0000b',
  'a\nb',
  'a\rb',
  'a\tb',
  'a\u001bb',
  'a\u007fb',
  'a\u0085b',
  // URL delimiters.
  'a#b',
  'a?b',
  'a;b',
  // Overlong paths and segments.
  'a'.repeat(1025),
  `${'abcdefgh/'.repeat(114)}abc`,
  'x'.repeat(256),
  `dir/${'😀'.repeat(64)}`,
  // Endlessly nested escapes, invalid UTF-8, lone surrogates.
  `%${'25'.repeat(10)}2e`,
  'a\ud800b',
];

/**
 * Forms refused in a URL only: decoded once they are malformed, a control character or a URL
 * delimiter. As names they are ordinary text ('%' is a character like any other: `acc_95%.txt`,
 * and MLflow's image names hold '%10' and, by chance, '%00' or '%23').
 */
export const HOSTILE_ESCAPES: readonly string[] = ['%00', 'secret.txt%00.png', 'a%0Ab', '%23', '%3f', '%3B', '%', '%zz', 'a%2', '%C3'];

/** Every form a URL must not get through: the hostile names and the hostile escapes. */
export const HOSTILE_URL_PATHS: readonly string[] = [...HOSTILE_PATHS, ...HOSTILE_ESCAPES];
