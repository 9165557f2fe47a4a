/** An Expensify API credential, as entered in the "Add Credential" form. */
export interface ExpensifyCredentialInput {
  /** Credential Name (required). */
  name: string;
  /** Credential Description (optional). */
  description?: string;
  /** Integration Server URL; default `https://integrations.expensify.com`. The API path is appended by the library. */
  serverUrl?: string;
  /** The partnerUserID from expensify.com/tools/integrations. */
  partnerUserId: string;
  /** The partnerUserSecret: treated like a password, never readable back. */
  partnerUserSecret: string;
}

/** Options for sending jobs. */
export interface ExpensifyOptions {
  /** Timeout per request, ms. Default 30000. */
  timeoutMs?: number;
  /** Client-side limits as [requests, windowMs] pairs, counted per partnerUserID across the tabs
   * and workers of the origin (per page where IndexedDB or WebCrypto is missing). Default
   * [[5, 10000], [20, 60000]]. */
  rateLimits?: [number, number][];
  /** At the limit: `wait` (default) or `refuse` (rejects with `rate_limited` and `retryAfterMs`). */
  onRateLimit?: "wait" | "refuse";
}

/** A job for the Integration Server, without `credentials` (the library inserts them). */
export interface ExpensifyJob {
  type: "get" | "file" | "download" | "create" | "update" | "reconciliation" | string;
  inputSettings?: Record<string, unknown>;
  onReceive?: Record<string, unknown>;
  outputSettings?: Record<string, unknown>;
  onFinish?: unknown[];
  fileName?: string;
  fileSystem?: string;
  test?: boolean;
  [key: string]: unknown;
}

/** A policy in a `policyList` answer. */
export interface ExpensifyPolicy { id: string; name: string; role: string; type: string; outputCurrency?: string; owner?: string; [key: string]: unknown; }

/** The answer of `policyList`. */
export interface PolicyListResponse { responseCode: 200; policyList: ExpensifyPolicy[]; [key: string]: unknown; }

/** What `testConnection` found. */
export interface ConnectionTest {
  status: "valid" | "invalid_credentials" | "unreachable" | "error";
  /** The error code when not valid. */
  code?: string;
  message?: string;
}

/** A stored credential's metadata: never the secret. */
export interface StoredCredentialInfo {
  id: string;
  name: string;
  description: string;
  serverUrl: string;
  partnerUserId: string;
  createdAt: number;
}

/** A stored record that could not be read; the others are still listed. */
export interface CorruptCredentialRecord { id: string; error: "corrupt_record"; }

/** An Integration Server request as `ExpensifyClient` builds it: POST `body` (which holds the
 * secret) as `contentType` to `url`, read at most `maxBytes` of the answer, and give it to
 * `parseExpensifyResponse` with `expects`. */
export interface ExpensifyHttpRequest {
  url: string;
  contentType: "application/x-www-form-urlencoded";
  body: string;
  expects: "json" | "fileName" | "file";
  maxBytes: number;
}
