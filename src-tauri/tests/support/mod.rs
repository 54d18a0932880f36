//! Loopback fixtures shared by the app's test binaries.

use std::io::{Read, Write};
use std::net::TcpListener;

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
/// `headers` (each ending in CRLF); returns its `/login` URL.
#[allow(dead_code)] // not every test binary uses every fixture
pub fn server_with(status: u16, headers: &str) -> String {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = l.local_addr().expect("addr");
    let headers = headers.to_string();
    std::thread::spawn(move || {
        for mut s in l.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = write!(
                s,
                "HTTP/1.1 {status} X\r\n{headers}Content-Type: text/html\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
            );
        }
    });
    format!("http://{addr}/login")
}
