/** The stable `code` of every error (the README's table; replaced by the union at build time). */
export type ExpensicatAuthErrorCode = string;

/** Every error thrown by this library. Only the fields that apply to its `code` are set. */
export interface ExpensicatAuthError extends Error {
  name: "ExpensicatAuthError";
  /** Stable snake_case code, e.g. `state_mismatch`, `invalid_grant`, `timeout`. */
  code: ExpensicatAuthErrorCode;
  /** The setting, argument or key that is wrong (`invalid_config`, `invalid_parameter`, `invalid_url`, `insecure_url`, `invalid_credential`); never its value. */
  field?: string;
  /** HTTP status, when a response caused the error. */
  status?: number;
  /** `error_description` from the server: untrusted text. */
  description?: string;
  /** `rate_limited`: how long to wait, ms, when the server or the client-side limit said. */
  retryAfterMs?: number;
  /** `insufficient_scope`: the scope the call needs. */
  requiredScope?: string;
  /** `api_error`: the API's own error code. */
  apiCode?: string;
  /** `expensify_error`: the Integration Server's `responseCode`. */
  responseCode?: number;
}
