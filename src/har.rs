//! Every request fix401 made, as HTTP Archive (HAR) 1.2, for a network engineer's own tools
//! (browser DevTools, HAR viewers, proxies that import HAR).
//!
//! The archive is built from the probe's evidence only ([`crate::probe::record`] keeps each
//! re-test's): one page per re-test (fix401's own, each browser route, the cookie test,
//! before and after a fix), one entry per request (each hop). Every value is copied from
//! evidence that was redacted where it entered ([`crate::redact`]): header values hidden by
//! field (`Authorization`, `Proxy-Authorization`, cookie values), URLs without userinfo and
//! with secret parameters replaced. Nothing is searched for secrets here, and no body text
//! is written (a body is not redacted by field), only its size.
//!
//! Timings come from the probe's phases: DNS, connect and TLS are measured once per origin
//! by its pre-flight (`-1` on the other requests, as HAR has it for a reused connection);
//! `wait` is the server's think time, `receive` the body read; `send` is not measured
//! apart and is `0`.

use std::time::{Duration, SystemTime};

use serde::Serialize;

use crate::probe::{Evidence, Header, Hop};

/// A HAR file: `{"log": …}`.
#[derive(Debug, Clone, Serialize)]
pub struct Har {
    /// The archive.
    pub log: Log,
}

/// The `log` object.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Log {
    /// Always `1.2`.
    pub version: &'static str,
    /// fix401 and its version.
    pub creator: Creator,
    /// One page per re-test.
    pub pages: Vec<Page>,
    /// One entry per request, in the order they started.
    pub entries: Vec<Entry>,
}

/// The `creator` object.
#[derive(Debug, Clone, Serialize)]
pub struct Creator {
    /// `fix401`.
    pub name: &'static str,
    /// fix401's version.
    pub version: &'static str,
}

/// One re-test of the URL (its requests share the page's id).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Page {
    /// When the re-test's first request began.
    pub started_date_time: String,
    /// `retest_1`, `retest_2`…
    pub id: String,
    /// What was re-tested and how (the URL, the route, what was sent with it).
    pub title: String,
    /// Not applicable to a re-test: `-1` both.
    pub page_timings: PageTimings,
}

/// The `pageTimings` object.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PageTimings {
    /// `-1`: no page is rendered.
    pub on_content_load: f64,
    /// `-1`: no page is rendered.
    pub on_load: f64,
}

/// One request and its answer.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// The page (re-test) it belongs to.
    pub pageref: String,
    /// When the request began (ISO 8601, UTC, milliseconds).
    pub started_date_time: String,
    /// The sum of the measured phases, in milliseconds.
    pub time: f64,
    /// The request.
    pub request: Request,
    /// The answer (status `0` when none came).
    pub response: Response,
    /// Nothing is cached by the probe: `{}`.
    pub cache: Cache,
    /// The phases, in milliseconds (`-1` where not applicable).
    pub timings: Timings,
    /// The address that answered (the proxy's, through a proxy).
    #[serde(rename = "serverIPAddress", skip_serializing_if = "Option::is_none")]
    pub server_ip_address: Option<String>,
    /// The server's port (HAR: "can be the client or server port number"; DevTools reads
    /// it as the port of `serverIPAddress`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection: Option<String>,
    /// What a technician needs beside the fields: the route, the credentials that went
    /// with it (kinds, never values), a failure.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub comment: String,
}

/// The `request` object.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    /// `GET`, the probe's only method.
    pub method: &'static str,
    /// The URL requested (redacted).
    pub url: String,
    /// `HTTP/1.1`, `HTTP/2.0`…
    pub http_version: String,
    /// The headers sent (redacted by field).
    pub headers: Vec<NameValue>,
    /// The URL's query parameters (redacted).
    pub query_string: Vec<NameValue>,
    /// The cookies sent: names, values redacted.
    pub cookies: Vec<Cookie>,
    /// Not measured: `-1`.
    pub headers_size: i64,
    /// A GET has no body: `0`.
    pub body_size: i64,
}

/// The `response` object.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Response {
    /// The status, `0` when no answer came.
    pub status: u16,
    /// The reason phrase of the status.
    pub status_text: String,
    /// The HTTP version of the answer (empty when none came).
    pub http_version: String,
    /// The headers received (redacted by field).
    pub headers: Vec<NameValue>,
    /// The cookies set: names and attributes, values redacted.
    pub cookies: Vec<Cookie>,
    /// The body's size and type (never its text).
    pub content: Content,
    /// The `Location` of a redirect (redacted), else empty.
    #[serde(rename = "redirectURL")]
    pub redirect_url: String,
    /// Not measured: `-1`.
    pub headers_size: i64,
    /// The size on the wire is not measured (the body is decompressed as read): `-1`.
    pub body_size: i64,
}

/// A header or a query parameter.
#[derive(Debug, Clone, Serialize)]
pub struct NameValue {
    /// Its name.
    pub name: String,
    /// Its value (redacted where secret).
    pub value: String,
}

/// A cookie, its value always redacted (taken from the recorded, redacted header).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Cookie {
    /// The cookie's name.
    pub name: String,
    /// Its value as recorded: `[redacted]`.
    pub value: String,
    /// `Path` attribute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// `Domain` attribute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// `HttpOnly` attribute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_only: Option<bool>,
    /// `Secure` attribute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secure: Option<bool>,
}

/// The `content` object.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Content {
    /// The bytes read (decompressed, up to the probe's cap).
    pub size: i64,
    /// The `Content-Type`, else `x-unknown`.
    pub mime_type: String,
}

/// The `cache` object: empty.
#[derive(Debug, Clone, Serialize)]
pub struct Cache {}

/// The `timings` object, in milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct Timings {
    /// Not measured: `-1`.
    pub blocked: f64,
    /// Name resolution, `-1` when none ran for this request.
    pub dns: f64,
    /// TCP connect including TLS (HAR counts `ssl` within `connect`), `-1` when none ran.
    pub connect: f64,
    /// Not measured apart: `0`.
    pub send: f64,
    /// Request sent → response headers.
    pub wait: f64,
    /// Reading the body.
    pub receive: f64,
    /// TLS handshake, `-1` when none ran.
    pub ssl: f64,
}

impl Har {
    /// The archive of `runs`, one page per re-test, entries in the order they started.
    pub fn from_evidence(runs: &[Evidence]) -> Har {
        let mut runs: Vec<&Evidence> = runs.iter().filter(|e| !e.hops.is_empty()).collect();
        runs.sort_by_key(|e| e.hops.first().and_then(|h| h.started_at));
        let mut pages = Vec::new();
        let mut entries = Vec::new();
        for (i, ev) in runs.iter().enumerate() {
            let id = format!("retest_{}", i + 1);
            let first = &ev.hops[0];
            pages.push(Page {
                started_date_time: iso8601(first.started_at),
                id: id.clone(),
                title: page_title(i + 1, ev),
                page_timings: PageTimings {
                    on_content_load: -1.0,
                    on_load: -1.0,
                },
            });
            let last = ev.hops.len() - 1;
            for (n, hop) in ev.hops.iter().enumerate() {
                let failure = if n == last { ev.failure.as_ref() } else { None };
                entries.push(entry(&id, ev, hop, failure.map(|f| f.describe())));
            }
        }
        entries.sort_by(|a, b| a.started_date_time.cmp(&b.started_date_time));
        Har {
            log: Log {
                version: "1.2",
                creator: Creator {
                    name: "fix401",
                    version: env!("CARGO_PKG_VERSION"),
                },
                pages,
                entries,
            },
        }
    }

    /// The archive as pretty JSON.
    pub fn to_json(&self) -> String {
        // Plain structs of strings and numbers: encoding cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// "Re-test 2: https://a.test/ via proxy http://p:3128, with cookie".
fn page_title(n: usize, ev: &Evidence) -> String {
    let url = ev.hops[0].url.as_str();
    let route = match &ev.proxy {
        Some(p) => format!("via proxy {p}"),
        None => "direct".to_string(),
    };
    let mut title = format!("Re-test {n}: {url} {route}");
    if !ev.credentials_supplied.is_empty() {
        title.push_str(&format!(
            ", with {} (values not shown)",
            ev.credentials_supplied.join(" and ")
        ));
    }
    title
}

fn entry(page: &str, ev: &Evidence, hop: &Hop, failure: Option<String>) -> Entry {
    let version = hop.version.clone().unwrap_or_default();
    let t = &hop.timings;
    let connect = match (t.connect, t.tls) {
        (None, None) => None,
        (c, s) => Some(c.unwrap_or_default() + s.unwrap_or_default()),
    };
    let timings = Timings {
        blocked: -1.0,
        dns: ms_or_na(t.dns),
        connect: ms_or_na(connect),
        send: 0.0,
        wait: ms(t.wait.unwrap_or_default()),
        receive: ms(t.receive.unwrap_or_default()),
        ssl: ms_or_na(t.tls),
    };
    let time = [timings.dns, timings.connect, timings.wait, timings.receive]
        .iter()
        .filter(|v| **v >= 0.0)
        .sum::<f64>();
    let mut notes = Vec::new();
    if let Some(p) = &ev.proxy {
        notes.push(format!("through the proxy {p}"));
    }
    if hop.from_proxy {
        notes.push("answered by the proxy, not the site".to_string());
    }
    if !hop.credentials_sent.is_empty() {
        notes.push(format!(
            "sent with {} (values not shown)",
            hop.credentials_sent.join(" and ")
        ));
    }
    if hop.credentials_withheld {
        notes.push("credentials held back: another origin".to_string());
    }
    if hop.body_truncated {
        notes.push("body not read to its end".to_string());
    }
    if let Some(f) = failure {
        notes.push(f);
    }
    let status = hop.status.unwrap_or(0);
    Entry {
        pageref: page.to_string(),
        started_date_time: iso8601(hop.started_at),
        time: round3(time),
        request: Request {
            method: "GET",
            url: hop.url.to_string(),
            // reqwest asks in HTTP/1.1 (an HTTP/1.0 server answers in 1.0) or HTTP/2.
            http_version: if version.starts_with("HTTP/2") {
                version.clone()
            } else {
                "HTTP/1.1".to_string()
            },
            headers: name_values(&hop.request_headers),
            query_string: hop
                .url
                .query_pairs()
                .map(|(k, v)| NameValue {
                    name: k.into_owned(),
                    value: v.into_owned(),
                })
                .collect(),
            cookies: hop
                .request_headers
                .iter()
                .filter(|h| h.name == "cookie")
                .flat_map(|h| request_cookies(&h.text()))
                .collect(),
            headers_size: -1,
            body_size: 0,
        },
        response: Response {
            status,
            status_text: reqwest::StatusCode::from_u16(status)
                .ok()
                .and_then(|c| c.canonical_reason())
                .unwrap_or("")
                .to_string(),
            http_version: version,
            headers: name_values(&hop.headers),
            cookies: hop
                .headers
                .iter()
                .filter(|h| h.name == "set-cookie")
                .map(|h| set_cookie(&h.text()))
                .collect(),
            content: Content {
                size: hop.body.len() as i64,
                mime_type: hop
                    .header("content-type")
                    .unwrap_or_else(|| "x-unknown".to_string()),
            },
            redirect_url: hop.location.clone().unwrap_or_default(),
            headers_size: -1,
            body_size: -1,
        },
        cache: Cache {},
        timings,
        server_ip_address: hop.remote.map(|a| a.ip().to_string()),
        connection: hop.remote.map(|a| a.port().to_string()),
        comment: notes.join("; "),
    }
}

fn name_values(headers: &[Header]) -> Vec<NameValue> {
    headers
        .iter()
        .map(|h| NameValue {
            name: h.name.clone(),
            value: h.text(),
        })
        .collect()
}

/// The cookies of a recorded `Cookie` value (`a=[redacted]; b=[redacted]`).
fn request_cookies(recorded: &str) -> Vec<Cookie> {
    recorded
        .split(';')
        .filter_map(|pair| {
            let (name, value) = pair.split_once('=')?;
            Some(Cookie {
                name: name.trim().to_string(),
                value: value.trim().to_string(),
                path: None,
                domain: None,
                http_only: None,
                secure: None,
            })
        })
        .collect()
}

/// The cookie of a recorded `Set-Cookie` value (`sid=[redacted]; Path=/; HttpOnly`).
fn set_cookie(recorded: &str) -> Cookie {
    let mut parts = recorded.split(';');
    let (name, value) = parts
        .next()
        .and_then(|p| p.split_once('='))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .unwrap_or_default();
    let mut c = Cookie {
        name,
        value,
        path: None,
        domain: None,
        http_only: None,
        secure: None,
    };
    for attr in parts {
        let (k, v) = attr.split_once('=').unwrap_or((attr, ""));
        match k.trim().to_ascii_lowercase().as_str() {
            "path" => c.path = Some(v.trim().to_string()),
            "domain" => c.domain = Some(v.trim().to_string()),
            "httponly" => c.http_only = Some(true),
            "secure" => c.secure = Some(true),
            _ => {}
        }
    }
    c
}

fn ms(d: Duration) -> f64 {
    round3(d.as_secs_f64() * 1000.0)
}

fn ms_or_na(d: Option<Duration>) -> f64 {
    d.map_or(-1.0, ms)
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// `2026-12-07T23:22:27.123Z` (the epoch when unknown, which the probe always knows).
fn iso8601(t: Option<SystemTime>) -> String {
    crate::words::rfc3339_millis(t.unwrap_or(SystemTime::UNIX_EPOCH))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::Sent;

    #[test]
    fn har_dates_are_iso_8601_utc_with_milliseconds() {
        let at =
            |s: u64, ms: u64| Some(SystemTime::UNIX_EPOCH + Duration::from_millis(s * 1000 + ms));
        assert_eq!(iso8601(at(0, 0)), "1970-01-01T00:00:00.000Z");
        // 2000-02-29 (a leap day of a century year) and 2026-12-07.
        assert_eq!(iso8601(at(951_782_400, 5)), "2000-02-29T00:00:00.005Z");
        assert_eq!(iso8601(at(1_796_685_747, 123)), "2026-12-07T23:22:27.123Z");
    }

    #[test]
    fn har_cookies_come_from_the_recorded_headers_values_redacted() {
        let sent = Sent::default();
        let cookie = Header::recorded("Cookie", b"sid=s3cr3t-v4lue; theme=dark", &sent);
        let names: Vec<(String, String)> = request_cookies(&cookie.text())
            .into_iter()
            .map(|c| (c.name, c.value))
            .collect();
        assert_eq!(
            names,
            [
                ("sid".to_string(), "[redacted]".to_string()),
                ("theme".to_string(), "[redacted]".to_string())
            ]
        );
        let set = Header::recorded(
            "Set-Cookie",
            b"sid=s3cr3t; Path=/app; Secure; HttpOnly",
            &sent,
        );
        let c = set_cookie(&set.text());
        assert_eq!((c.name.as_str(), c.value.as_str()), ("sid", "[redacted]"));
        assert_eq!(c.path.as_deref(), Some("/app"));
        assert_eq!((c.secure, c.http_only), (Some(true), Some(true)));
    }

    #[test]
    fn har_of_no_request_is_an_empty_log() {
        let har = Har::from_evidence(&[]);
        let v: serde_json::Value = serde_json::from_str(&har.to_json()).unwrap();
        assert_eq!(v["log"]["version"], "1.2");
        assert_eq!(v["log"]["creator"]["name"], "fix401");
        assert_eq!(v["log"]["entries"].as_array().unwrap().len(), 0);
    }
}
