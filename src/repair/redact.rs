//! Redaction for everything that leaves the pipeline (reports, events, the help-desk text).
//!
//! Reports get attached to tickets and mailed around: they must never carry passwords in
//! URLs, tokens in query strings, cookie values or the person's home path.

use std::path::Path;

/// Query parameter names whose values are secrets (compared case-insensitively, by substring).
const SECRET_PARAMS: [&str; 12] = [
    "token", "key", "pass", "pwd", "secret", "auth", "sig", "session", "code", "ticket", "otp",
    "jwt",
];

/// A URL fit for a report: no user name or password, secret query values replaced.
/// Text that is not a URL is returned unchanged.
pub fn url(text: &str) -> String {
    let Ok(mut u) = url::Url::parse(text) else {
        return text.to_string();
    };
    if !u.username().is_empty() {
        let _ = u.set_username("redacted");
    }
    if u.password().is_some() {
        let _ = u.set_password(None);
    }
    if u.query().is_some() {
        let pairs: Vec<(String, String)> = u
            .query_pairs()
            .map(|(k, v)| {
                let lower = k.to_ascii_lowercase();
                let secret = SECRET_PARAMS.iter().any(|s| lower.contains(s));
                let v = if secret {
                    "[redacted]".to_string()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        u.query_pairs_mut().clear().extend_pairs(pairs);
    }
    if u.fragment().is_some() {
        u.set_fragment(None);
    }
    u.to_string()
}

/// A path fit for a report: the home folder is written `~`.
pub fn path(p: &Path, home: &Path) -> String {
    match p.strip_prefix(home) {
        Ok(rest) if rest.as_os_str().is_empty() => "~".to_string(),
        Ok(rest) => format!("~/{}", rest.display()),
        Err(_) => p.display().to_string(),
    }
}

/// Free text fit for a report: the home path becomes `~`, URLs inside are redacted.
pub fn text(s: &str, home: &Path) -> String {
    let home_str = home.display().to_string();
    let s = if home_str.len() > 1 {
        s.replace(&home_str, "~")
    } else {
        s.to_string()
    };
    s.split(' ')
        .map(|word| {
            if word.starts_with("http://") || word.starts_with("https://") {
                url(word)
            } else {
                word.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_credentials_and_secret_params() {
        let r = url("https://bob:hunter2@a.test/x?access_token=abc&page=2#frag");
        assert!(!r.contains("hunter2") && !r.contains("abc") && !r.contains("bob"));
        assert!(r.contains("page=2"));
        assert_eq!(url("not a url"), "not a url");
    }

    #[test]
    fn home_becomes_tilde() {
        let home = Path::new("/home/ann");
        assert_eq!(path(Path::new("/home/ann/.config/x"), home), "~/.config/x");
        assert_eq!(
            text("read /home/ann/a from https://u:p@h.test/", home),
            "read ~/a from https://redacted@h.test/"
        );
    }
}
