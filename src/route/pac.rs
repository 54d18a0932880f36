//! PAC scripts, run as browsers run them: `FindProxyForURL(url, host)` in an embedded
//! QuickJS engine (rquickjs: a small C engine, about a second to build, microseconds per
//! call) with every standard helper, under a time and memory limit. The engine has no file,
//! network or module access: the only doors out are the DNS helpers below.
//!
//! A script that does not parse, throws, loops or runs out of memory gives an error message
//! (the `proxy.pac_error` finding), never a crash.

use std::collections::HashMap;
use std::net::{IpAddr, ToSocketAddrs};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use rquickjs::context::intrinsic;
use rquickjs::{Context, Function, Runtime};

use super::ProxyServer;
use crate::system::System;

/// Answers the DNS helpers (`dnsResolve`, `isResolvable`, `isInNet` on a name…): the
/// addresses of a name, or none when it does not resolve by the deadline given (the
/// evaluation's own: a slow name server cannot hold the script up past its time limit).
pub type Resolver = Arc<dyn Fn(&str, Instant) -> Vec<IpAddr> + Send + Sync>;

/// Waits for the answer `start` sends until `deadline`; none after it (the lookup is left
/// to finish on its own: name lookups cannot be cancelled).
fn bounded(deadline: Instant, start: impl FnOnce(mpsc::Sender<Vec<IpAddr>>)) -> Vec<IpAddr> {
    let (tx, rx) = mpsc::channel();
    start(tx);
    rx.recv_timeout(deadline.saturating_duration_since(Instant::now()))
        .unwrap_or_default()
}

/// The operating system's resolver (`getaddrinfo`), bounded by the deadline.
pub fn os_resolver() -> Resolver {
    Arc::new(|host: &str, deadline: Instant| {
        let host = host.to_string();
        bounded(deadline, move |tx| {
            std::thread::spawn(move || {
                let ips = (host.as_str(), 0)
                    .to_socket_addrs()
                    .map(|a| a.map(|s| s.ip()).collect())
                    .unwrap_or_default();
                let _ = tx.send(ips);
            });
        })
    })
}

/// Names looked up as the re-test looks them up ([`crate::probe::net::resolve`]: the
/// System's resolver, `--dns-server` included), on the runtime of `handle`, bounded by
/// the deadline. For evaluations on a blocking thread (`spawn_blocking`).
pub fn system_resolver(sys: &System, handle: tokio::runtime::Handle) -> Resolver {
    let sys = sys.clone();
    Arc::new(move |host: &str, deadline: Instant| {
        let (sys, host) = (sys.clone(), host.to_string());
        bounded(deadline, |tx| {
            handle.spawn(async move {
                let _ = tx.send(
                    crate::probe::net::resolve(&sys, &host)
                        .await
                        .unwrap_or_default(),
                );
            });
        })
    })
}

/// How long and how much memory one evaluation may use.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Wall-clock time for loading the script and one call.
    pub time: Duration,
    /// Heap for the engine, in bytes.
    pub memory: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            time: Duration::from_secs(2),
            memory: 32 * 1024 * 1024,
        }
    }
}

/// The standard helpers written in JavaScript (after Netscape's and Mozilla's definitions);
/// the DNS ones call the native `__resolve` / `__myIp`.
const HELPERS: &str = r#"
function dnsDomainIs(host, domain) {
  host = String(host); domain = String(domain);
  return host.length >= domain.length && host.substring(host.length - domain.length) == domain;
}
function dnsDomainLevels(host) { return String(host).split('.').length - 1; }
function isPlainHostName(host) { return String(host).indexOf('.') < 0; }
function localHostOrDomainIs(host, hostdom) {
  host = String(host); hostdom = String(hostdom);
  return host == hostdom || hostdom.lastIndexOf(host + '.', 0) == 0;
}
function shExpMatch(str, pattern) { return __glob(String(pattern), String(str)); }
function dnsResolveEx(host) { return __resolve(String(host), true); }
function dnsResolve(host) {
  var r = __resolve(String(host), false);
  return r == '' ? null : r;
}
function isResolvable(host) { return dnsResolve(host) != null; }
function isResolvableEx(host) { return dnsResolveEx(host) != ''; }
function myIpAddress() { return __myIp(false); }
function myIpAddressEx() { return __myIp(true); }
function convert_addr(ipchars) {
  var b = ipchars.split('.');
  return ((b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff)) >>> 0;
}
function isInNet(ipaddr, pattern, maskstr) {
  var test = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
  if (!test.test(ipaddr)) { ipaddr = dnsResolve(ipaddr); if (ipaddr == null) return false; }
  if (!test.test(pattern) || !test.test(maskstr)) return false;
  var host = convert_addr(ipaddr), pat = convert_addr(pattern), mask = convert_addr(maskstr);
  return ((host & mask) >>> 0) == ((pat & mask) >>> 0);
}
function isInNetEx(ipaddr, prefix) { return __inNet(String(ipaddr), String(prefix)); }
function sortIpAddressList(list) {
  if (!list) return false;
  return String(list).split(';').sort().join(';');
}
function getClientVersion() { return '1.0'; }
var wdays = {SUN: 0, MON: 1, TUE: 2, WED: 3, THU: 4, FRI: 5, SAT: 6};
var months = {JAN: 0, FEB: 1, MAR: 2, APR: 3, MAY: 4, JUN: 5, JUL: 6, AUG: 7, SEP: 8, OCT: 9, NOV: 10, DEC: 11};
function weekdayRange() {
  function getDay(weekday) { return weekday in wdays ? wdays[weekday] : -1; }
  var date = new Date();
  var argc = arguments.length;
  var wday;
  if (argc < 1) return false;
  if (arguments[argc - 1] == 'GMT') { argc--; wday = date.getUTCDay(); } else { wday = date.getDay(); }
  var wd1 = getDay(arguments[0]);
  var wd2 = (argc == 2) ? getDay(arguments[1]) : wd1;
  if (wd1 == -1 || wd2 == -1) return false;
  if (wd1 <= wd2) return wd1 <= wday && wday <= wd2;
  return wd2 >= wday || wday >= wd1;
}
function dateRange() {
  function getMonth(name) { return name in months ? months[name] : -1; }
  var date = new Date();
  var argc = arguments.length;
  if (argc < 1) return false;
  var isGMT = (arguments[argc - 1] == 'GMT');
  if (isGMT) argc--;
  if (argc == 1) {
    var tmp = parseInt(arguments[0]);
    if (isNaN(tmp)) return ((isGMT ? date.getUTCMonth() : date.getMonth()) == getMonth(arguments[0]));
    else if (tmp < 32) return ((isGMT ? date.getUTCDate() : date.getDate()) == tmp);
    else return ((isGMT ? date.getUTCFullYear() : date.getFullYear()) == tmp);
  }
  var year = date.getFullYear();
  var date1, date2;
  date1 = new Date(year, 0, 1, 0, 0, 0);
  date2 = new Date(year, 11, 31, 23, 59, 59);
  var adjustMonth = false;
  for (var i = 0; i < (argc >> 1); i++) {
    var tmp = parseInt(arguments[i]);
    if (isNaN(tmp)) {
      var mon = getMonth(arguments[i]);
      date1.setMonth(mon);
    } else if (tmp < 32) {
      adjustMonth = (argc <= 2);
      date1.setDate(tmp);
    } else {
      date1.setFullYear(tmp);
    }
  }
  for (var i = (argc >> 1); i < argc; i++) {
    var tmp = parseInt(arguments[i]);
    if (isNaN(tmp)) {
      var mon = getMonth(arguments[i]);
      date2.setMonth(mon);
    } else if (tmp < 32) {
      date2.setDate(tmp);
    } else {
      date2.setFullYear(tmp);
    }
  }
  if (adjustMonth) {
    date1.setMonth(date.getMonth());
    date2.setMonth(date.getMonth());
  }
  if (isGMT) {
    var tmp = date;
    tmp.setFullYear(date.getUTCFullYear());
    tmp.setMonth(date.getUTCMonth());
    tmp.setDate(date.getUTCDate());
    tmp.setHours(date.getUTCHours());
    tmp.setMinutes(date.getUTCMinutes());
    tmp.setSeconds(date.getUTCSeconds());
    date = tmp;
  }
  return (date1 <= date2) ? (date1 <= date) && (date <= date2)
                          : (date2 >= date) || (date >= date1);
}
function timeRange() {
  var argc = arguments.length;
  var date = new Date();
  var isGMT = false;
  if (argc < 1) return false;
  if (arguments[argc - 1] == 'GMT') { isGMT = true; argc--; }
  var hour = isGMT ? date.getUTCHours() : date.getHours();
  var date1 = new Date(), date2 = new Date();
  if (argc == 1) return hour == arguments[0];
  else if (argc == 2) return (arguments[0] <= hour) && (hour <= arguments[1]);
  else {
    switch (argc) {
      case 6:
        date1.setSeconds(arguments[2]);
        date2.setSeconds(arguments[5]);
      case 4:
        var middle = argc >> 1;
        date1.setHours(arguments[0]);
        date1.setMinutes(arguments[1]);
        date2.setHours(arguments[middle]);
        date2.setMinutes(arguments[middle + 1]);
        if (middle == 2) { date2.setSeconds(59); }
        break;
      default:
        return false;
    }
  }
  if (isGMT) {
    date.setFullYear(date.getUTCFullYear());
    date.setMonth(date.getUTCMonth());
    date.setDate(date.getUTCDate());
    date.setHours(date.getUTCHours());
    date.setMinutes(date.getUTCMinutes());
    date.setSeconds(date.getUTCSeconds());
  }
  return (date1 <= date2) ? (date1 <= date) && (date <= date2)
                          : (date2 >= date) || (date >= date1);
}
"#;

/// Shell-style matching as `shExpMatch` does: `*` any run, `?` one character.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// What `dnsResolve` (one IPv4 address, as browsers answer) or `dnsResolveEx` (every
/// address, `;`-separated) says of `host`: an IP literal as it is, a name through `lookup`.
fn resolve(host: &str, all: bool, lookup: &dyn Fn(&str) -> Vec<IpAddr>) -> String {
    let ips: Vec<IpAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => lookup(host),
    };
    if all {
        let v: Vec<String> = ips.iter().map(IpAddr::to_string).collect();
        v.join(";")
    } else {
        ips.iter()
            .find(|ip| ip.is_ipv4())
            .map(IpAddr::to_string)
            .unwrap_or_default()
    }
}

/// The address this machine would use to reach the internet: a UDP socket's local address
/// after `connect` (no packet is sent).
fn my_ip(all: bool) -> String {
    let probe = |target: &str, bind: &str| {
        let s = std::net::UdpSocket::bind(bind).ok()?;
        s.connect(target).ok()?;
        s.local_addr().ok().map(|a| a.ip().to_string())
    };
    let v4 = probe("198.51.100.1:53", "0.0.0.0:0").unwrap_or_else(|| "127.0.0.1".into());
    if all {
        match probe("[2001:db8::1]:53", "[::]:0") {
            Some(v6) => format!("{v4};{v6}"),
            None => v4,
        }
    } else {
        v4
    }
}

fn in_net_ex(ip: &str, prefix: &str, lookup: &dyn Fn(&str) -> Vec<IpAddr>) -> bool {
    let Some((net, bits)) = prefix.split_once('/') else {
        return false;
    };
    let (Ok(net), Ok(bits)) = (net.parse::<IpAddr>(), bits.parse::<u8>()) else {
        return false;
    };
    let ip = match ip.parse::<IpAddr>() {
        Ok(ip) => ip,
        Err(_) => match resolve(ip, true, lookup)
            .split(';')
            .next()
            .and_then(|s| s.parse().ok())
        {
            Some(ip) => ip,
            None => return false,
        },
    };
    super::in_network(ip, net, bits)
}

/// The URL as browsers hand it to the script: for https only `scheme://host:port/` (the
/// path and query are private to the site).
pub fn url_for_script(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) if u.scheme() == "https" || u.scheme() == "wss" => {
            let mut s = format!("{}://{}", u.scheme(), u.host_str().unwrap_or_default());
            if let Some(p) = u.port() {
                s.push_str(&format!(":{p}"));
            }
            s.push('/');
            s
        }
        _ => url.to_string(),
    }
}

/// Loads `script` and returns what `FindProxyForURL(url, host)` (or `FindProxyForURLEx`)
/// answers, e.g. `"PROXY 127.0.0.1:3128; DIRECT"`, with the OS resolver behind the DNS
/// helpers. `Err` holds the script's own error.
pub fn find_proxy(script: &str, url: &str, host: &str, limits: &Limits) -> Result<String, String> {
    find_proxy_with(script, url, host, limits, &os_resolver())
}

/// [`find_proxy`] with `resolver` behind the DNS helpers; each name is looked up once per
/// evaluation, and every lookup ends by the evaluation's deadline.
pub fn find_proxy_with(
    script: &str,
    url: &str,
    host: &str,
    limits: &Limits,
    resolver: &Resolver,
) -> Result<String, String> {
    let rt = Runtime::new().map_err(|e| format!("cannot start the script engine: {e}"))?;
    rt.set_memory_limit(limits.memory);
    rt.set_max_stack_size(256 * 1024);
    let deadline = Instant::now() + limits.time;
    rt.set_interrupt_handler(Some(Box::new(move || Instant::now() > deadline)));
    // Only what PAC scripts use (no promises, typed arrays, proxies, BigInt): a smaller
    // engine starts faster and offers less.
    let ctx = Context::custom::<(
        intrinsic::Date,
        intrinsic::Eval,
        intrinsic::RegExpCompiler,
        intrinsic::RegExp,
        intrinsic::Json,
        intrinsic::MapSet,
    )>(&rt)
    .map_err(|e| format!("cannot start the script engine: {e}"))?;
    let seen: Arc<Mutex<HashMap<String, Vec<IpAddr>>>> = Arc::default();
    let resolver = resolver.clone();
    let lookup = Arc::new(move |h: &str| -> Vec<IpAddr> {
        let key = h.to_ascii_lowercase();
        if let Some(ips) = seen.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return ips;
        }
        let ips = resolver(h, deadline);
        if let Ok(mut m) = seen.lock() {
            m.insert(key, ips.clone());
        }
        ips
    });
    let url = url_for_script(url);
    ctx.with(|ctx| -> Result<String, String> {
        let explain = |e: rquickjs::Error| -> String {
            let mut msg = e.to_string();
            if matches!(e, rquickjs::Error::Exception) {
                let ex = ctx.catch();
                if let Some(ex) = ex.as_exception() {
                    msg = ex.message().unwrap_or_default();
                    if let Some(stack) = ex.stack().filter(|s| !s.trim().is_empty()) {
                        msg = format!(
                            "{msg} ({})",
                            stack.trim().lines().next().unwrap_or_default().trim()
                        );
                    }
                } else if ex.is_null() {
                    // QuickJS throws null when it cannot even allocate the error.
                    msg = "out of memory".into();
                } else if let Ok(s) = ex.get::<rquickjs::Coerced<String>>() {
                    msg = format!("the script threw {}", s.0);
                }
            }
            if Instant::now() > deadline {
                msg = format!(
                    "the script ran longer than {} ms ({msg})",
                    limits.time.as_millis()
                );
            }
            if msg.contains("out of memory") {
                msg = format!(
                    "the script used more than {} MiB of memory",
                    limits.memory / (1024 * 1024)
                );
            }
            msg
        };
        let g = ctx.globals();
        let native = || -> rquickjs::Result<()> {
            let l = lookup.clone();
            g.set(
                "__resolve",
                Function::new(ctx.clone(), move |h: String, all: bool| {
                    resolve(&h, all, &*l)
                })?,
            )?;
            g.set("__myIp", Function::new(ctx.clone(), my_ip)?)?;
            g.set(
                "__glob",
                Function::new(ctx.clone(), |p: String, s: String| glob_match(&p, &s))?,
            )?;
            g.set(
                "__inNet",
                Function::new(ctx.clone(), move |ip: String, p: String| {
                    in_net_ex(&ip, &p, &*lookup)
                })?,
            )?;
            Ok(())
        };
        native().map_err(explain)?;
        ctx.eval::<(), _>(HELPERS).map_err(explain)?;
        ctx.eval::<(), _>(script.as_bytes().to_vec())
            .map_err(|e| format!("the PAC script does not load: {}", explain(e)))?;
        let (name, f) = match g.get::<_, Function>("FindProxyForURLEx") {
            Ok(f) => ("FindProxyForURLEx", f),
            Err(_) => match g.get::<_, Function>("FindProxyForURL") {
                Ok(f) => ("FindProxyForURL", f),
                Err(_) => return Err("the PAC script defines no FindProxyForURL function".into()),
            },
        };
        let v: rquickjs::Value = f
            .call((url.as_str(), host))
            .map_err(|e| format!("{name} failed: {}", explain(e)))?;
        if v.is_null() || v.is_undefined() {
            return Ok(String::new());
        }
        v.get::<rquickjs::Coerced<String>>()
            .map(|s| s.0)
            .map_err(|e| format!("{name} did not return a string: {e}"))
    })
}

/// The first choice of a PAC answer (`PROXY h:p; DIRECT` → the proxy; `DIRECT` or an empty
/// answer → `None`). Browsers fall back to the later entries only when the first fails.
pub fn first_choice(answer: &str) -> Option<ProxyServer> {
    let first = answer.split(';').map(str::trim).find(|e| !e.is_empty())?;
    let mut w = first.split_whitespace();
    let kind = w.next()?.to_ascii_uppercase();
    let hp = w.next()?;
    let scheme = match kind.as_str() {
        "PROXY" | "HTTP" => "http",
        "HTTPS" => "https",
        "SOCKS" | "SOCKS5" => "socks5",
        "SOCKS4" => "socks4",
        _ => return None,
    };
    ProxyServer::parse(hp, scheme)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(script: &str, url: &str, host: &str) -> Result<String, String> {
        find_proxy(script, url, host, &Limits::default())
    }

    /// `script` for `http://a/` under `limits`, its DNS helpers answered by `resolver`.
    fn run_limited(script: &str, limits: &Limits, resolver: &Resolver) -> Result<String, String> {
        find_proxy_with(script, "http://a/", "a", limits, resolver)
    }

    #[test]
    fn the_script_chooses_by_host() {
        let pac = r#"function FindProxyForURL(url, host) {
            if (isPlainHostName(host) || dnsDomainIs(host, ".corp.example")) return "DIRECT";
            if (shExpMatch(url, "http://*.shop.example/*")) return "PROXY shop-proxy:8080";
            if (isInNet(host, "10.0.0.0", "255.0.0.0")) return "DIRECT";
            return "PROXY 127.0.0.1:3128; DIRECT";
        }"#;
        assert_eq!(run(pac, "http://intranet/", "intranet").unwrap(), "DIRECT");
        assert_eq!(
            run(pac, "https://wiki.corp.example/", "wiki.corp.example").unwrap(),
            "DIRECT"
        );
        assert_eq!(
            run(pac, "http://www.shop.example/cart", "www.shop.example").unwrap(),
            "PROXY shop-proxy:8080"
        );
        assert_eq!(run(pac, "http://10.1.2.3/", "10.1.2.3").unwrap(), "DIRECT");
        let a = run(pac, "https://a.example/", "a.example").unwrap();
        assert_eq!(first_choice(&a).unwrap().host_port(), "127.0.0.1:3128");
        assert_eq!(first_choice("DIRECT"), None);
        assert_eq!(first_choice(""), None);
        assert_eq!(
            first_choice("SOCKS4 10.0.0.1:1080").unwrap().0.scheme(),
            "socks4"
        );
    }

    #[test]
    fn every_standard_helper_is_there() {
        let pac = r#"function FindProxyForURL(url, host) {
            var r = [];
            r.push(isPlainHostName("a"), !isPlainHostName("a.b"));
            r.push(dnsDomainIs("www.a.test", ".a.test"), !dnsDomainIs("www.b.test", ".a.test"));
            r.push(localHostOrDomainIs("www", "www.a.test"), localHostOrDomainIs("www.a.test", "www.a.test"),
                   !localHostOrDomainIs("www.b.test", "www.a.test"));
            r.push(isResolvable("127.0.0.1"), dnsResolve("127.0.0.1") == "127.0.0.1");
            r.push(isInNet("127.0.0.1", "127.0.0.0", "255.0.0.0"), !isInNet("192.168.1.1", "10.0.0.0", "255.0.0.0"));
            r.push(typeof myIpAddress() == "string" && myIpAddress().split(".").length == 4);
            r.push(dnsDomainLevels("www.a.test") == 2, dnsDomainLevels("www") == 0);
            r.push(shExpMatch("http://x.a.test/p", "*.a.test/*"), shExpMatch("ab", "a?"), !shExpMatch("abc", "a?"));
            r.push(typeof weekdayRange("MON", "SUN") == "boolean", weekdayRange("SUN", "SAT"));
            r.push(dateRange("JAN", "DEC"), timeRange(0, 23), timeRange(0, 0, 23, 59), !weekdayRange("NOTADAY"));
            r.push(dnsResolveEx("127.0.0.1") == "127.0.0.1", isResolvableEx("127.0.0.1"));
            r.push(isInNetEx("10.1.2.3", "10.0.0.0/8"), !isInNetEx("11.1.2.3", "10.0.0.0/8"));
            r.push(isInNetEx("::1", "::1/128"), typeof myIpAddressEx() == "string");
            r.push(sortIpAddressList("10.0.0.2;10.0.0.1") == "10.0.0.1;10.0.0.2", getClientVersion() == "1.0");
            for (var i = 0; i < r.length; i++) if (r[i] !== true) return "FAILED " + i;
            return "DIRECT";
        }"#;
        assert_eq!(run(pac, "http://a.test/", "a.test").unwrap(), "DIRECT");
    }

    #[test]
    fn https_urls_reach_the_script_without_path_or_query() {
        let pac = "function FindProxyForURL(url, host) { return 'PROXY ' + url.length + ':1'; }";
        assert_eq!(
            url_for_script("https://a.test/secret?token=x"),
            "https://a.test/"
        );
        assert_eq!(
            url_for_script("https://a.test:8443/x"),
            "https://a.test:8443/"
        );
        assert_eq!(url_for_script("http://a.test/x?y"), "http://a.test/x?y");
        assert_eq!(
            run(pac, "https://a.test/secret?token=x", "a.test").unwrap(),
            "PROXY 15:1"
        );
    }

    #[test]
    fn a_broken_script_is_an_error_not_a_crash() {
        let e = run(
            "function FindProxyForURL(url, host) { return \"DIRECT\"",
            "http://a/",
            "a",
        )
        .unwrap_err();
        assert!(e.contains("does not load"), "{e}");
        let e = run(
            "function FindProxyForURL(url, host) { return undefinedThing(); }",
            "http://a/",
            "a",
        )
        .unwrap_err();
        assert!(e.contains("undefinedThing"), "{e}");
        let e = run("var x = 1;", "http://a/", "a").unwrap_err();
        assert!(e.contains("no FindProxyForURL"), "{e}");
        let e = run(
            "function FindProxyForURL() { throw 'nope'; }",
            "http://a/",
            "a",
        )
        .unwrap_err();
        assert!(e.contains("nope"), "{e}");
    }

    #[test]
    fn a_runaway_script_is_stopped_by_the_limits() {
        let limits = Limits {
            time: Duration::from_millis(200),
            memory: 8 * 1024 * 1024,
        };
        let t = Instant::now();
        let e = run_limited(
            "function FindProxyForURL() { for (;;) {} }",
            &limits,
            &os_resolver(),
        )
        .unwrap_err();
        assert!(e.contains("longer than 200 ms"), "{e}");
        assert!(t.elapsed() < Duration::from_secs(2));
        let e = find_proxy(
            "function FindProxyForURL() { var a = []; for (;;) a.push('xxxxxxxxxxxxxxxx' + a.length); }",
            "http://a/",
            "a",
            &Limits { time: Duration::from_secs(10), ..limits },
        )
        .unwrap_err();
        assert!(e.contains("memory"), "{e}");
    }

    #[test]
    fn the_script_cannot_reach_files_or_the_network() {
        let pac = r#"function FindProxyForURL() {
            var found = [typeof require, typeof std, typeof os, typeof fetch, typeof XMLHttpRequest, typeof importScripts];
            return found.join(",");
        }"#;
        assert_eq!(
            run(pac, "http://a/", "a").unwrap(),
            "undefined,undefined,undefined,undefined,undefined,undefined"
        );
    }

    #[test]
    fn the_dns_helpers_ask_the_resolver_given_once_per_name() {
        let asked: Arc<Mutex<Vec<String>>> = Arc::default();
        let log = asked.clone();
        let resolver: Resolver = Arc::new(move |h: &str, _| {
            log.lock().unwrap().push(h.to_string());
            match h {
                "proxy.corp.test" => vec!["10.1.2.3".parse().unwrap(), "::1".parse().unwrap()],
                _ => Vec::new(),
            }
        });
        let pac = r#"function FindProxyForURL(url, host) {
            var r = [dnsResolve("proxy.corp.test"), isResolvable("proxy.corp.test"),
                     isInNet("proxy.corp.test", "10.0.0.0", "255.0.0.0"), dnsResolveEx("proxy.corp.test"),
                     isResolvable("nowhere.test"), isInNetEx("proxy.corp.test", "10.0.0.0/8")];
            return r.join(",");
        }"#;
        let answer = find_proxy_with(pac, "http://a/", "a", &Limits::default(), &resolver).unwrap();
        assert_eq!(answer, "10.1.2.3,true,true,10.1.2.3;::1,false,true");
        assert_eq!(
            *asked.lock().unwrap(),
            vec!["proxy.corp.test", "nowhere.test"],
            "each name asked once, IP literals never"
        );
    }

    #[test]
    fn a_slow_name_server_cannot_hold_the_script_past_its_deadline() {
        let resolver: Resolver = Arc::new(|_: &str, deadline: Instant| {
            bounded(deadline, |tx| {
                std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_secs(5));
                    let _ = tx.send(vec![IpAddr::from([10, 0, 0, 1])]);
                });
            })
        });
        let limits = Limits {
            time: Duration::from_millis(300),
            ..Limits::default()
        };
        let t = Instant::now();
        let answer = run_limited(
            "function FindProxyForURL(url, host) { return isResolvable('slow.test') ? 'PROXY p:1' : 'DIRECT'; }",
            &limits,
            &resolver,
        )
        .unwrap();
        assert_eq!(
            answer, "DIRECT",
            "a name not resolved in time does not resolve"
        );
        assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    }

    #[test]
    fn evaluation_takes_a_few_milliseconds_at_most() {
        let pac = "function FindProxyForURL(url, host) { return dnsDomainIs(host, '.a.test') ? 'DIRECT' : 'PROXY 127.0.0.1:3128'; }";
        let t = Instant::now();
        for _ in 0..20 {
            run(pac, "http://www.a.test/", "www.a.test").unwrap();
        }
        let per = t.elapsed() / 20;
        // Debug builds are far slower than release; the bench states the release figure.
        assert!(per < Duration::from_millis(50), "{per:?} per evaluation");
    }
}
