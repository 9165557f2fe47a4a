// The Expensify classes (js/expensify.js), appended to the Expensify entry's .d.ts by
// scripts/postbuild.mjs.
/**
 * An Expensify partner credential. The secret stays in WebAssembly memory: no property,
 * `toString` or `toJSON` returns it; it is used only to sign Integration Server requests.
 */
export class ExpensifyCredential {
    /**
     * Validates the fields (name required; HTTPS server URL, loopback allowed for development,
     * no user info, query or fragment; IDs and secret trimmed and non-empty). Errors carry the
     * offending `field`.
     */
    constructor(input: ExpensifyCredentialInput, options?: ExpensifyOptions);
    /** Forgets the credential now (its secret is zeroed); later calls reject with `invalid_parameter`. */
    free(): void;
    /** `create`/`expenses` for `employeeEmail`. */
    createExpenses(employeeEmail: string, transactions: Record<string, unknown>[]): Promise<unknown>;
    /** `create`/`report` on `policyId` for `employeeEmail`, titled `title`, with `expenses`. */
    createReport(employeeEmail: string, policyId: string, title: string, expenses: Record<string, unknown>[]): Promise<unknown>;
    /** `download`: resolves to the contents of a file produced by `exportReports`. */
    download(fileName: string): Promise<string>;
    /**
     * `file`: exports reports matching `filters` through a FreeMarker `template`; resolves to
     * the generated file name (fetch it with `download`).
     */
    exportReports(filters: Record<string, unknown>, template: string, fileExtension?: string): Promise<string>;
    /** `get`/`policy`: details (`fields`, default `["categories","tags"]`) of `policyIds`. */
    policyDetails(policyIds: string[], fields?: string[]): Promise<unknown>;
    /** `get`/`policyList`: resolves to the answer with `policyList`. */
    policyList(adminOnly?: boolean): Promise<PolicyListResponse>;
    /**
     * Sends any job (a caller-supplied `credentials` key is refused). `extraFields` are added
     * as form fields (e.g. `template`). Resolves to the JSON answer, or text for `file` and
     * `download` jobs.
     */
    send(job: ExpensifyJob, extraFields?: Record<string, string>): Promise<unknown>;
    /**
     * A `policyList` call that tells apart valid credentials, invalid credentials and an
     * unreachable server. Never rejects.
     */
    testConnection(): Promise<ConnectionTest>;
    /** Metadata only, for `JSON.stringify`: never the secret. */
    toJSON(): Omit<StoredCredentialInfo, "id" | "createdAt">;
    /** `ExpensifyCredential { "name", "partnerUserId", [secret redacted] }`. */
    toString(): string;
    /** Credential Description. */
    readonly description: string;
    /** The endpoint requests go to: `serverUrl` + `/Integration-Server/ExpensifyIntegrations`. */
    readonly endpoint: string;
    /** The store id, when this credential came from a store. */
    readonly id: string | undefined;
    /** Credential Name. */
    readonly name: string;
    /** The partnerUserID. */
    readonly partnerUserId: string;
    /** The normalised Integration Server URL (without the API path). */
    readonly serverUrl: string;
}
/**
 * Saved Expensify credentials in IndexedDB. Secrets are sealed with AES-GCM under a
 * non-extractable WebCrypto key kept in IndexedDB, and the seal authenticates every stored field;
 * `list` never returns a secret.
 */
export class ExpensifyCredentialStore {
    private constructor();
    /** Closes the database connection. */
    free(): void;
    /** Deletes a credential (no error when there is none). */
    delete(id: string): Promise<void>;
    /** Loads a credential that can send jobs; rejects with `credential_not_found` or `corrupt_record`. */
    get(id: string, options?: ExpensifyOptions): Promise<ExpensifyCredential>;
    /**
     * Every stored credential's metadata, oldest first; unreadable records are listed as
     * `{ id, error: "corrupt_record" }` after the others.
     */
    list(): Promise<(StoredCredentialInfo | CorruptCredentialRecord)[]>;
    /** Opens the store (database `expensicat-auth` unless `name` is given). */
    static open(name?: string): Promise<ExpensifyCredentialStore>;
    /** Saves `credential` (sealing its secret) and resolves to its new id. */
    save(credential: ExpensifyCredential): Promise<string>;
}
