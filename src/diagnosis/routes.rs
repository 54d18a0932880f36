//! The browsers' own routes: a PAC script that fails, a proxy that cannot be reached, wants
//! a login or refuses the site. Pure: routes and their re-tests in, findings out.

use crate::model::{Action, Cause, Confidence, Finding};

/// `proxy.unreachable` for a re-test through `proxy` (`host:port`) that never reached it;
/// `None` when the failure came later than the proxy.
pub(super) fn proxy_unreachable(
    failure: &crate::probe::Failure,
    proxy: &str,
    who: &str,
) -> Option<Finding> {
    use crate::probe::{Failure, Phase};
    let what = match failure {
        Failure::Dns { host, .. } => format!("cannot be found (its name {host} does not resolve)"),
        Failure::Connect { refused: true, .. } => "is refusing connections".to_string(),
        Failure::Connect { .. } => "cannot be reached from this network".to_string(),
        Failure::Timeout {
            phase: Phase::Dns | Phase::Connect,
            ..
        } => "does not answer".to_string(),
        _ => return None,
    };
    Some(
        Finding::new(
            Cause::ProxyUnreachable,
            Confidence::High,
            format!(
                "The proxy server {proxy} that {who} goes through {what}, so pages cannot load that way; the site itself is not at fault."
            ),
            [Action::Retry],
        )
        .with_evidence(format!("through the proxy {proxy}: {}", failure.describe())),
    )
}
/// Findings about the browsers' own routes (pure: the routes and their re-tests in,
/// findings out): a PAC script that fails, a proxy that cannot be reached, wants a login
/// or refuses the site. `main` is fix401's own re-test, for comparison.
pub fn route_findings(
    main: &crate::probe::Evidence,
    browsers: &[crate::route::BrowserRoute],
    probes: &[crate::route::RouteProbe],
) -> Vec<Finding> {
    use crate::route::Route;
    let mut out = Vec::new();
    // One finding per broken script, naming every profile that uses it.
    let mut scripts: Vec<(&crate::route::PacProblem, Vec<&str>)> = Vec::new();
    for b in browsers {
        if let Some(p) = &b.pac_error {
            match scripts.iter_mut().find(|(q, _)| q.url == p.url) {
                Some((_, who)) => who.push(&b.label),
                None => scripts.push((p, vec![&b.label])),
            }
        }
    }
    for (p, who) in scripts {
        out.push(
            Finding::new(
                Cause::ProxyPacError,
                Confidence::High,
                format!(
                    "{} is set to choose its proxy with a script (PAC file) that does not work, so it cannot pick the way to the site as intended.",
                    who.join(", ")
                ),
                [Action::Retry],
            )
            .with_evidence(format!("PAC file {}: {}", p.url, p.message)),
        );
    }
    for rp in probes.iter().filter(|p| !p.main) {
        let (Route::Proxy { proxy }, Some(ev)) = (&rp.route, &rp.evidence) else {
            continue;
        };
        let hp = proxy.host_port();
        let who = if rp.browsers.is_empty() {
            "this computer".to_string()
        } else {
            rp.browsers.join(", ")
        };
        let browsers_line = format!("browsers on this route: {who}");
        if ev.final_status().is_none() {
            if let Some(f) = ev
                .failure
                .as_ref()
                .and_then(|f| proxy_unreachable(f, &hp, &who))
            {
                out.push(f.with_evidence(browsers_line));
            }
            continue;
        }
        let Some(last) = ev.hops.last() else { continue };
        let Some(status) = last.status else { continue };
        if status == 407 {
            let parsed = crate::challenge::parse(&last.header_values("proxy-authenticate"));
            let schemes: Vec<&str> = parsed
                .challenges
                .iter()
                .map(|c| c.scheme.as_str())
                .collect();
            let mut f = Finding::new(
                Cause::ProxyAuthRequired,
                Confidence::High,
                format!(
                    "The proxy server {hp} that {who} goes through wants its own login; clearing the site's data will not help."
                ),
                [Action::CheckCredentials, Action::Retry],
            )
            .with_evidence(format!("HTTP 407 from the proxy {hp}"))
            .with_evidence(browsers_line);
            if !schemes.is_empty() {
                f = f.with_evidence(format!("the proxy offers: {}", schemes.join(", ")));
            }
            f = f.with_evidence(if proxy.0.username().is_empty() {
                "no proxy login was sent (give one with --proxy-user and --proxy-password-stdin)"
                    .to_string()
            } else {
                "a proxy login was sent and refused".to_string()
            });
            out.push(f);
            continue;
        }
        let marked = last.from_proxy
            || last.header("x-squid-error").is_some()
            || last.header("proxy-status").is_some();
        if status >= 400 && (marked || (status == 403 && main.final_status() != Some(403))) {
            let mut f = Finding::new(
                Cause::ProxyBlocked,
                Confidence::High,
                format!(
                    "The proxy server {hp} that {who} goes through refuses to fetch this site (HTTP {status}); ask whoever runs the proxy to allow it."
                ),
                [Action::Retry],
            )
            .with_evidence(format!("HTTP {status} from the proxy {hp}"))
            .with_evidence(browsers_line);
            for h in ["x-squid-error", "proxy-status"] {
                if let Some(v) = last.header(h) {
                    f = f.with_evidence(format!("{h}: {v}"));
                }
            }
            if let Some(s) = main.final_status() {
                f = f.with_evidence(format!("without the proxy the site answers HTTP {s}"));
            }
            out.push(f);
        }
    }
    out
}
