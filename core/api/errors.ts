/**
 * The one error type of the contract. It travels as data (`{code, message}`) across IPC and HTTP
 * and is rebuilt on the other side, so callers branch on `code`, never on message text.
 */

/** The closed set of error codes, named as MLflow names them so its clients can branch on them. */
export const ERROR_CODES = [
  'INVALID_PARAMETER_VALUE',
  'BAD_REQUEST',
  'RESOURCE_DOES_NOT_EXIST',
  'RESOURCE_ALREADY_EXISTS',
  'ENDPOINT_NOT_FOUND',
  'INVALID_STATE',
  'PERMISSION_DENIED',
  'UNAUTHENTICATED',
  'REQUEST_LIMIT_EXCEEDED',
  'QUOTA_EXCEEDED',
  'NOT_IMPLEMENTED',
  'INTERNAL_ERROR',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * HTTP status per code. MLflow maps INVALID_STATE to 500, which its clients retry for minutes;
 * a state conflict is deterministic, so it is a 400 here. QUOTA_EXCEEDED (no room for an
 * upload) is 507 Insufficient Storage, which MLflow clients do not retry (they retry 408, 429,
 * 500, 502, 503 and 504): the person sees at once that the disk or the upload cap is the problem.
 */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  INVALID_PARAMETER_VALUE: 400,
  BAD_REQUEST: 400,
  RESOURCE_ALREADY_EXISTS: 400,
  INVALID_STATE: 400,
  RESOURCE_DOES_NOT_EXIST: 404,
  ENDPOINT_NOT_FOUND: 404,
  PERMISSION_DENIED: 403,
  UNAUTHENTICATED: 401,
  REQUEST_LIMIT_EXCEEDED: 413,
  QUOTA_EXCEEDED: 507,
  NOT_IMPLEMENTED: 501,
  INTERNAL_ERROR: 500,
};

/** Plain-data form of an error, as it crosses a process or network boundary. */
export interface ErrorData {
  code: ErrorCode;
  message: string;
}

export class FlowdeskError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'FlowdeskError';
    this.code = code;
  }

  toData(): ErrorData {
    return { code: this.code, message: this.message };
  }

  static fromData(data: ErrorData): FlowdeskError {
    const code = (ERROR_CODES as readonly string[]).includes(data.code) ? data.code : 'INTERNAL_ERROR';
    return new FlowdeskError(code, data.message);
  }
}

export const invalid = (message: string) => new FlowdeskError('INVALID_PARAMETER_VALUE', message);
export const notFound = (message: string) => new FlowdeskError('RESOURCE_DOES_NOT_EXIST', message);
export const alreadyExists = (message: string) => new FlowdeskError('RESOURCE_ALREADY_EXISTS', message);

/** Whether a value is an error of the contract (also across realms, where instanceof fails). */
export function isFlowdeskError(value: unknown): value is FlowdeskError {
  return value instanceof FlowdeskError;
}
