//! The 13 Expensicat scopes, scope-list validation, and which scope an API call needs.

#[allow(unused_imports)]
use crate::prelude::*;

use super::error::{untrusted_text, Error, Result};
use super::text::{before_any, split_byte};

/// One of the scopes listed in the Expensicat authentication guide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// `transactions:read`: read transactions.
    TransactionsRead,
    /// `transactions:write`: create and update transactions.
    TransactionsWrite,
    /// `entries:read`: read entries, projects, time entries.
    EntriesRead,
    /// `entries:write`: create and update entries, projects, time entries.
    EntriesWrite,
    /// `invoices:read`: read invoices, customers, recurring invoices.
    InvoicesRead,
    /// `invoices:write`: create and update invoices, customers, recurring invoices.
    InvoicesWrite,
    /// `banking:read`: read bank accounts.
    BankingRead,
    /// `banking:write`: manage bank account connections.
    BankingWrite,
    /// `documents:read`: read documents.
    DocumentsRead,
    /// `documents:write`: upload and manage documents.
    DocumentsWrite,
    /// `team:read`: read team members, organization settings, integrations.
    TeamRead,
    /// `team:admin`: manage team members, organization settings, integrations.
    TeamAdmin,
    /// `analytics:read`: read financial metrics and reports.
    AnalyticsRead,
}

impl Scope {
    /// Every scope, in the order of the documentation.
    pub const ALL: [Scope; 13] = [
        Scope::TransactionsRead,
        Scope::TransactionsWrite,
        Scope::EntriesRead,
        Scope::EntriesWrite,
        Scope::InvoicesRead,
        Scope::InvoicesWrite,
        Scope::BankingRead,
        Scope::BankingWrite,
        Scope::DocumentsRead,
        Scope::DocumentsWrite,
        Scope::TeamRead,
        Scope::TeamAdmin,
        Scope::AnalyticsRead,
    ];

    /// The wire name, e.g. `transactions:read`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::TransactionsRead => "transactions:read",
            Scope::TransactionsWrite => "transactions:write",
            Scope::EntriesRead => "entries:read",
            Scope::EntriesWrite => "entries:write",
            Scope::InvoicesRead => "invoices:read",
            Scope::InvoicesWrite => "invoices:write",
            Scope::BankingRead => "banking:read",
            Scope::BankingWrite => "banking:write",
            Scope::DocumentsRead => "documents:read",
            Scope::DocumentsWrite => "documents:write",
            Scope::TeamRead => "team:read",
            Scope::TeamAdmin => "team:admin",
            Scope::AnalyticsRead => "analytics:read",
        }
    }

    /// The description from the documentation.
    pub fn description(self) -> &'static str {
        match self {
            Scope::TransactionsRead => "Read transactions",
            Scope::TransactionsWrite => "Create and update transactions",
            Scope::EntriesRead => "Read entries, projects, time entries",
            Scope::EntriesWrite => "Create and update entries, projects, time entries",
            Scope::InvoicesRead => "Read invoices, customers, recurring invoices",
            Scope::InvoicesWrite => "Create and update invoices, customers, recurring invoices",
            Scope::BankingRead => "Read bank accounts",
            Scope::BankingWrite => "Manage bank account connections",
            Scope::DocumentsRead => "Read documents",
            Scope::DocumentsWrite => "Upload and manage documents",
            Scope::TeamRead => "Read team members, organization settings, integrations",
            Scope::TeamAdmin => "Manage team members, organization settings, integrations",
            Scope::AnalyticsRead => "Read financial metrics and reports",
        }
    }

    /// Parses a wire name (exact, case-sensitive, as RFC 6749 section 3.3 requires).
    pub fn parse(value: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == value)
    }
}

/// Whether `value` is an RFC 6749 section 3.3 `scope-token`: one or more of
/// `%x21 / %x23-5B / %x5D-7E` (printable ASCII except space, `"` and `\`).
pub fn is_scope_token(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
}

/// The most scopes one request may carry.
pub const MAX_SCOPES: usize = 64;

/// Validates a requested scope list: each entry must be an Expensicat scope (or, with
/// `allow_custom`, any RFC 6749 scope token); duplicates are removed keeping the first
/// occurrence's order. An entry containing spaces is split, so `"a b"` counts as two scopes.
///
/// # Errors
/// [`Error::InvalidScope`] naming the first bad scope (or `""` for an empty list).
pub fn normalize_scopes<S: AsRef<str>>(requested: &[S], allow_custom: bool) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for entry in requested {
        for scope in split_byte(entry.as_ref(), b' ').filter(|s| !s.is_empty()) {
            let known = Scope::parse(scope).is_some();
            if !(known || (allow_custom && is_scope_token(scope))) {
                return Err(Error::InvalidScope { scope: untrusted_text(scope) });
            }
            if !out.iter().any(|s| s == scope) {
                out.push(scope.to_owned());
            }
        }
    }
    if out.is_empty() {
        return Err(Error::InvalidScope { scope: String::new() });
    }
    if out.len() > MAX_SCOPES {
        return Err(Error::InvalidScope { scope: untrusted_text(&out[MAX_SCOPES]) });
    }
    Ok(out)
}

/// Parses a granted `scope` string from a token response: RFC 6749 section 3.3 requires
/// `scope-token *( SP scope-token )`, so each token is one or more NQCHAR-minus-space characters
/// and tokens are separated by exactly one space. Unknown tokens are kept (the server decides
/// what it grants); repeats are dropped keeping the first. `None` for anything else: an empty
/// string, leading, trailing or doubled spaces, tabs, quotes, backslashes, control or non-ASCII
/// characters.
pub fn parse_granted(value: &str) -> Option<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for s in split_byte(value, b' ') {
        if !is_scope_token(s) {
            return None;
        }
        if !out.iter().any(|o| o == s) {
            out.push(s.to_owned());
        }
    }
    Some(out)
}

/// The scope an Expensicat API call needs, from its method and its path below the API base
/// (e.g. `GET /v1/transactions` needs `transactions:read`). `None` when the resource is not one
/// the documentation assigns to a scope.
pub fn required_scope(method: &str, path: &str) -> Option<Scope> {
    let path = before_any(path, b"?#");
    let mut segments = split_byte(path, b'/').filter(|s| !s.is_empty());
    let mut first = segments.next()?;
    if first == "api" {
        first = segments.next()?;
    }
    if first == "v1" {
        first = segments.next()?;
    }
    let read = method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("HEAD");
    let pick = |r: Scope, w: Scope| Some(if read { r } else { w });
    match first {
        "transactions" => pick(Scope::TransactionsRead, Scope::TransactionsWrite),
        "entries" | "projects" | "time-entries" | "time_entries" => pick(Scope::EntriesRead, Scope::EntriesWrite),
        "invoices" | "customers" | "recurring-invoices" | "recurring_invoices" => pick(Scope::InvoicesRead, Scope::InvoicesWrite),
        "bank-accounts" | "bank_accounts" | "banking" => pick(Scope::BankingRead, Scope::BankingWrite),
        "documents" => pick(Scope::DocumentsRead, Scope::DocumentsWrite),
        "team" | "members" | "organization" | "integrations" => pick(Scope::TeamRead, Scope::TeamAdmin),
        "analytics" | "metrics" | "reports" => read.then_some(Scope::AnalyticsRead),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirteen_documented_scopes() {
        let names: Vec<_> = Scope::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            names,
            [
                "transactions:read",
                "transactions:write",
                "entries:read",
                "entries:write",
                "invoices:read",
                "invoices:write",
                "banking:read",
                "banking:write",
                "documents:read",
                "documents:write",
                "team:read",
                "team:admin",
                "analytics:read"
            ]
        );
        for s in Scope::ALL {
            assert_eq!(Scope::parse(s.as_str()), Some(s));
            assert!(!s.description().is_empty());
        }
        assert_eq!(Scope::parse("Transactions:Read"), None);
        assert_eq!(Scope::parse("transactions:read "), None);
    }

    #[test]
    fn normalize_dedupes_keeps_order_and_splits_spaces() {
        let got = normalize_scopes(&["team:read", "transactions:read team:read", "team:read"], false).unwrap();
        assert_eq!(got, ["team:read", "transactions:read"]);
    }

    #[test]
    fn normalize_rejects_unknown_unless_custom_allowed() {
        assert_eq!(normalize_scopes(&["transactions:read", "admin"], false), Err(Error::InvalidScope { scope: "admin".into() }));
        assert_eq!(normalize_scopes(&["openid", "admin"], true).unwrap(), ["openid", "admin"]);
        for bad in ["a\"b", "a\\b", "é", "a\tb", "a\u{7f}"] {
            assert!(matches!(normalize_scopes(&[bad], true), Err(Error::InvalidScope { .. })), "{bad:?}");
        }
        assert_eq!(normalize_scopes::<&str>(&[], false), Err(Error::InvalidScope { scope: String::new() }));
        assert_eq!(normalize_scopes(&["  "], false), Err(Error::InvalidScope { scope: String::new() }));
        let many: Vec<String> = (0..=MAX_SCOPES).map(|i| format!("s{i}")).collect();
        assert!(normalize_scopes(&many, true).is_err());
    }

    #[test]
    fn granted_scope_split() {
        assert_eq!(parse_granted("a b a").unwrap(), ["a", "b"]);
        assert_eq!(parse_granted("transactions:read team:read").unwrap(), ["transactions:read", "team:read"]);
        assert_eq!(parse_granted("!#[]~").unwrap(), ["!#[]~"]);
        // RFC 6749 section 3.3: single spaces between NQCHAR tokens, nothing else.
        for bad in ["", " ", " a", "a ", "a  b", "a\tb", "a\nb", "a\"b", "a\\b", "caf\u{e9}", "a\u{0}b", "a\u{7f}b", "a\u{a0}b"] {
            assert_eq!(parse_granted(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn required_scope_for_api_calls() {
        let cases = [
            ("GET", "/v1/transactions?limit=20", Some(Scope::TransactionsRead)),
            ("POST", "/api/v1/transactions", Some(Scope::TransactionsWrite)),
            ("head", "/v1/projects/7", Some(Scope::EntriesRead)),
            ("PATCH", "/v1/time-entries/1", Some(Scope::EntriesWrite)),
            ("GET", "/v1/customers", Some(Scope::InvoicesRead)),
            ("DELETE", "/v1/recurring-invoices/3", Some(Scope::InvoicesWrite)),
            ("GET", "/v1/bank-accounts", Some(Scope::BankingRead)),
            ("POST", "/v1/bank-accounts", Some(Scope::BankingWrite)),
            ("PUT", "/v1/documents/9", Some(Scope::DocumentsWrite)),
            ("GET", "/v1/members", Some(Scope::TeamRead)),
            ("POST", "/v1/integrations", Some(Scope::TeamAdmin)),
            ("GET", "/v1/analytics/summary", Some(Scope::AnalyticsRead)),
            ("POST", "/v1/analytics", None),
            ("GET", "/v1/unknown", None),
            ("GET", "/", None),
        ];
        for (m, p, want) in cases {
            assert_eq!(required_scope(m, p), want, "{m} {p}");
        }
    }
}
