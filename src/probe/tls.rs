//! TLS configuration (rustls with the ring provider, the platform's roots plus any extra
//! roots) and the classification of certificate failures.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, SignatureScheme};
use serde::Serialize;

use crate::error::{Error, Result};

/// The ring provider, shared by every config.
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A config that verifies against the platform's trusted roots plus `extra_roots` (PEM).
/// Loading the platform roots costs time, so this is built only for `https://` origins.
pub fn verifying_config(extra_roots_pem: &[Vec<u8>]) -> Result<Arc<ClientConfig>> {
    let mut extra = Vec::new();
    for pem in extra_roots_pem {
        let mut reader = std::io::Cursor::new(pem);
        for cert in rustls_pemfile_certs(&mut reader) {
            extra.push(cert);
        }
    }
    let verifier = rustls_platform_verifier::Verifier::new_with_extra_roots(extra, provider())
        .map_err(|e| Error::BadInput(format!("cannot use the extra CA certificate: {e}")))?;
    build(Arc::new(verifier))
}

/// A config for plain-`http://` probes: it is never used for a handshake, it only exists
/// because the HTTP client wants one, and skips loading the platform roots.
pub fn inert_config() -> Result<Arc<ClientConfig>> {
    build(Arc::new(RefuseAll))
}

fn build(verifier: Arc<dyn ServerCertVerifier>) -> Result<Arc<ClientConfig>> {
    let mut config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Internal(format!("TLS setup failed: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Reads the certificates of a PEM bundle; other blocks are skipped.
fn rustls_pemfile_certs(reader: &mut std::io::Cursor<&Vec<u8>>) -> Vec<CertificateDer<'static>> {
    use rustls::pki_types::pem::PemObject;
    CertificateDer::pem_reader_iter(reader)
        .filter_map(|c| c.ok())
        .collect()
}

/// A verifier that trusts nothing (for the inert config).
#[derive(Debug)]
struct RefuseAll;

impl ServerCertVerifier for RefuseAll {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Err(rustls::Error::General("no TLS expected here".into()))
    }

    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        Err(rustls::Error::General("no TLS expected here".into()))
    }

    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        Err(rustls::Error::General("no TLS expected here".into()))
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        rustls::crypto::ring::default_provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// What is wrong with a server's certificate, or with the TLS handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TlsProblem {
    /// The certificate's validity ended.
    Expired,
    /// The certificate's validity has not started (or this clock is behind).
    NotYetValid,
    /// The certificate is for another host name.
    WrongHost,
    /// Self-signed or issued by an authority this machine does not trust.
    Untrusted,
    /// The issuer revoked the certificate.
    Revoked,
    /// Another certificate defect (bad encoding, unsupported algorithm, wrong purpose).
    BadCertificate,
    /// The handshake failed for a reason unrelated to the certificate (protocol mismatch,
    /// plain HTTP on a TLS port, alert from the server).
    Handshake,
}

impl TlsProblem {
    /// True for certificate defects (`tls.certificate`), false for handshake failures.
    pub fn is_certificate(self) -> bool {
        !matches!(self, TlsProblem::Handshake)
    }
}

/// Finds the rustls error in an error's source chain and classifies it.
pub fn classify(err: &(dyn std::error::Error + 'static)) -> Option<(TlsProblem, String)> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(classify_rustls(tls));
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
            && let Some(tls) = inner.downcast_ref::<rustls::Error>()
        {
            return Some(classify_rustls(tls));
        }
        cur = e.source();
    }
    None
}

/// Classifies one rustls error, with a technician's description.
pub fn classify_rustls(err: &rustls::Error) -> (TlsProblem, String) {
    let problem = match err {
        rustls::Error::InvalidCertificate(c) => match c {
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                TlsProblem::Expired
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                TlsProblem::NotYetValid
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                TlsProblem::WrongHost
            }
            CertificateError::UnknownIssuer | CertificateError::BadSignature => {
                TlsProblem::Untrusted
            }
            CertificateError::Revoked => TlsProblem::Revoked,
            _ => TlsProblem::BadCertificate,
        },
        rustls::Error::InvalidCertRevocationList(_) => TlsProblem::BadCertificate,
        _ => TlsProblem::Handshake,
    };
    (problem, err.to_string())
}
