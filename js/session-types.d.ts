// The types js/session.js names in its JSDoc (`// @ts-check`, checked by `tsc` in npm test),
// from the sign-in entry's generated declarations. Not shipped: the package's .d.ts is
// pkg/expensicat_auth.d.ts.
import type {
  ClientConfig,
  DiscoveryConfig,
  DiscoveryPlan,
  HttpRequest,
  LoginOptions,
  SessionCoreAction,
  SessionCoreEvent,
  SessionInfo,
  LoginResult,
  SessionEvent as SessionChange,
  SharedRecord,
  ExpensicatClient,
  SessionCore,
} from "../pkg/expensicat_auth.js";

export type { ClientConfig, DiscoveryConfig, DiscoveryPlan, HttpRequest, LoginOptions, LoginResult, SessionInfo, SessionChange, SharedRecord };
export type SessionAction = SessionCoreAction;
export type SessionEvent = SessionCoreEvent;
export type SessionListener = (event: SessionChange) => void;
export type Core = SessionCore;
export type Client = ExpensicatClient & {
  readonly settings: { clientId: string; storage: string; timeoutMs: number; transactionTtlMs: number; maxTokenResponseBytes: number; maxResponseBytes: number; shareAcrossTabs: boolean; dpop: boolean };
};
