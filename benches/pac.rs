//! PAC evaluation time: `FindProxyForURL` of a typical corporate script (plain-host and
//! domain bypasses, `isInNet` on a literal address, `shExpMatch`), in a fresh sandboxed
//! engine per URL, as `fix401 diagnose` runs it. Prints the median per URL (target ≤ 5 ms).

use std::time::{Duration, Instant};

use fix401::route::pac::{Limits, find_proxy};

const SCRIPT: &str = r#"
function FindProxyForURL(url, host) {
  if (isPlainHostName(host) || dnsDomainIs(host, ".corp.example") || localHostOrDomainIs(host, "intranet"))
    return "DIRECT";
  if (isInNet(host, "10.0.0.0", "255.0.0.0") || isInNet(host, "192.168.0.0", "255.255.0.0"))
    return "DIRECT";
  if (shExpMatch(url, "*.shop.example/*") || shExpMatch(host, "*.cdn.example"))
    return "PROXY shop-proxy.corp.example:8080";
  if (weekdayRange("SAT", "SUN") && timeRange(0, 6)) return "PROXY night.corp.example:3128";
  return "PROXY 127.0.0.1:3128; DIRECT";
}
"#;

fn main() {
    let urls = [
        ("http://intranet/", "intranet"),
        ("https://wiki.corp.example/page", "wiki.corp.example"),
        ("http://10.1.2.3/", "10.1.2.3"),
        ("http://www.shop.example/cart", "www.shop.example"),
        ("https://www.example.com/login", "www.example.com"),
    ];
    let limits = Limits::default();
    // Warm-up.
    for (u, h) in urls {
        find_proxy(SCRIPT, u, h, &limits).expect("the script runs");
    }
    let mut times: Vec<Duration> = Vec::new();
    for _ in 0..200 {
        for (u, h) in urls {
            let t = Instant::now();
            find_proxy(SCRIPT, u, h, &limits).expect("the script runs");
            times.push(t.elapsed());
        }
    }
    times.sort();
    let median = times[times.len() / 2];
    let p95 = times[times.len() * 95 / 100];
    println!(
        "PAC evaluation: median {:.3} ms, p95 {:.3} ms per URL ({} evaluations; target <= 5 ms)",
        median.as_secs_f64() * 1000.0,
        p95.as_secs_f64() * 1000.0,
        times.len()
    );
}
