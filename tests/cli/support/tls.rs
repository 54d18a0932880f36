//! TLS for the loopback HTTP servers of `http.rs`: HTTPS through rustls, and the test
//! certificates (self-signed, or issued by a fresh test CA) made with rcgen. Kept apart from
//! `http.rs` so that the app's e2e tests include that file without a TLS stack.

use std::net::SocketAddr;
use std::sync::Arc;

use super::http::{Reply, Request, Server, Stream};

impl Server {
    /// An HTTPS server presenting `cert_der` with `key_der` (PKCS#8).
    pub fn https(
        cert_der: Vec<u8>,
        key_der: Vec<u8>,
        handler: impl Fn(&Request, SocketAddr) -> Reply + Send + Sync + 'static,
    ) -> Server {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = Arc::new(
            rustls::ServerConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(
                    vec![rustls::pki_types::CertificateDer::from(cert_der)],
                    rustls::pki_types::PrivateKeyDer::Pkcs8(key_der.into()),
                )
                .unwrap(),
        );
        Server::start(
            "https",
            Some(Arc::new(move |conn| {
                let session = rustls::ServerConnection::new(config.clone()).ok()?;
                Some(Box::new(rustls::StreamOwned::new(session, conn)) as Box<dyn Stream>)
            })),
            Arc::new(handler),
        )
    }
}

/// A certificate and its key, plus the PEM of the CA that signed it (if not self-signed).
pub struct Cert {
    /// The leaf certificate (DER).
    pub cert_der: Vec<u8>,
    /// Its key (PKCS#8 DER).
    pub key_der: Vec<u8>,
    /// The CA certificate (PEM), to trust with `--ca-file`.
    pub ca_pem: Option<String>,
}

/// A self-signed certificate for 127.0.0.1 and localhost.
pub fn self_signed() -> Cert {
    let ck =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    Cert {
        cert_der: ck.cert.der().to_vec(),
        key_der: ck.signing_key.serialize_der(),
        ca_pem: None,
    }
}

/// A certificate for `names`, valid between the two dates, issued by a fresh test CA.
pub fn ca_signed(names: &[&str], not_before: (i32, u8, u8), not_after: (i32, u8, u8)) -> Cert {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "fix401 test CA");
    ca_params.not_before = rcgen::date_time_ymd(2000, 1, 1);
    ca_params.not_after = rcgen::date_time_ymd(2099, 1, 1);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, &ca_key);
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params =
        rcgen::CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .unwrap();
    params.not_before = rcgen::date_time_ymd(not_before.0, not_before.1, not_before.2);
    params.not_after = rcgen::date_time_ymd(not_after.0, not_after.1, not_after.2);
    let cert = params.signed_by(&key, &issuer).unwrap();
    Cert {
        cert_der: cert.der().to_vec(),
        key_der: key.serialize_der(),
        ca_pem: Some(ca_cert.pem()),
    }
}
