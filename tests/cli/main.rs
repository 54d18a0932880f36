//! The one integration-test binary: every test drives the real `fix401` binary (or the
//! library) against temporary homes and loopback servers. Shared fixtures live in `support`.

mod support;

mod basics;
mod browsers;
mod bundle;
mod catalog;
mod challenge;
mod diagnose;
mod dns;
mod elevate;
mod evidence;
mod fix;
mod har;
mod hsts;
mod local_storage;
mod negotiate;
mod policy;
mod redaction;
mod routes;
mod running;
mod safety;
mod sso;
mod store_files;
mod stores;
