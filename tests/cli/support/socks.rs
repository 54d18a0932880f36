//! A real SOCKS5 proxy on loopback: `microsocks` (Debian's package of the same name), which
//! logs every connection it makes on a browser's behalf. Stopped (by its pid) when dropped.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `microsocks` running for one test.
pub struct MicroSocks {
    /// The loopback port it listens on.
    pub port: u16,
    child: Child,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl MicroSocks {
    /// Starts `microsocks -i 127.0.0.1 -p PORT` on a free loopback port and waits until it
    /// accepts connections; `None` when microsocks is not installed.
    pub fn start() -> Option<MicroSocks> {
        let bin = ["/usr/bin/microsocks", "/usr/local/bin/microsocks"]
            .iter()
            .map(PathBuf::from)
            .find(|p| p.exists())?;
        let dir = tempfile::Builder::new()
            .prefix("fix401-socks-")
            .tempdir()
            .unwrap();
        let log = dir.path().join("microsocks.log");
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(bin)
            .args(["-i", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("start microsocks");
        let mut s = MicroSocks {
            port,
            child,
            log,
            _dir: dir,
        };
        let until = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = s.child.try_wait() {
                panic!("microsocks exited {status}: {}", s.log());
            }
            assert!(Instant::now() < until, "microsocks did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(s)
    }

    /// What it logged: a `client[N] 127.0.0.1: connected to HOST:PORT` line per connection.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// True when it connected to `host:port` on a client's behalf (`host` as the client
    /// named it: a name when the client left resolving to the proxy).
    pub fn connected_to(&self, host: &str, port: u16) -> bool {
        self.log().contains(&format!("connected to {host}:{port}"))
    }
}

impl Drop for MicroSocks {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
