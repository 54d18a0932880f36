//! DNS: resolver detection, flushing per OS, hosts-file and upstream comparison.

use crate::diagnosis::Finding;
use crate::system::System;

/// The `dns.*` findings for `host` (hosts-file override, stale cache, failure).
/// Called by the diagnosis for every probed host.
pub async fn diagnose_host(_sys: &System, _host: &str) -> Vec<Finding> {
    Vec::new()
}
