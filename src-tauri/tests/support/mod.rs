//! Loopback fixtures shared by the app's test binaries, built on the one HTTP server of the
//! tests (`tests/cli/support/http.rs`, ARCHITECTURE.md "Tests").

#[allow(dead_code)] // not every test binary uses every part of it
#[path = "../../../tests/cli/support/http.rs"]
pub mod http;

/// A loopback server answering every request with `status` (a 401 carries
/// `WWW-Authenticate: Basic realm="intranet"`); returns its `/login` URL.
pub fn server(status: u16) -> String {
    let extra = if status == 401 {
        "WWW-Authenticate: Basic realm=\"intranet\"\r\n"
    } else {
        ""
    };
    server_with(status, extra)
}

/// A loopback server answering every request with `status` and the raw header lines
/// `headers` (each ending in CRLF); returns its `/login` URL. It serves until the test
/// process ends.
#[allow(dead_code)] // not every test binary uses every fixture
pub fn server_with(status: u16, headers: &str) -> String {
    let mut lines: Vec<(String, Vec<u8>)> = headers
        .split("\r\n")
        .filter_map(|l| l.split_once(": "))
        .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec()))
        .collect();
    lines.push(("Content-Type".into(), b"text/html".to_vec()));
    let srv = http::Server::http(move |_, _| {
        let pairs: Vec<(&str, &[u8])> = lines
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_slice()))
            .collect();
        http::respond(status, &pairs, b"ok")
    });
    let url = srv.url("/login");
    // The fixture lives as long as the test process, as the windows that use it do.
    std::mem::forget(srv);
    url
}
