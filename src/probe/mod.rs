//! The re-test: DNS answers, connect, TLS, redirect chain, timings and the response.
