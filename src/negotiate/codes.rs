//! GSSAPI major / krb5 minor status codes → [`SignInError`], by number (RFC 2744 §3.9.1,
//! MIT `krb5.h` / `gssapi_err_krb5`; Heimdal uses the same com_err numbers for these).

use super::SignInError;

/// Routine errors (bits 16-23 of a major status).
const GSS_S_NO_CRED: u32 = 7;
const GSS_S_CREDENTIALS_EXPIRED: u32 = 11;

/// krb5 com_err codes (table base -1765328384).
pub(crate) const KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN: i32 = -1765328378;
pub(crate) const KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN: i32 = -1765328377;
pub(crate) const KRB5KDC_ERR_CLIENT_REVOKED: i32 = -1765328366;
pub(crate) const KRB5KDC_ERR_KEY_EXPIRED: i32 = -1765328361;
pub(crate) const KRB5KDC_ERR_PREAUTH_FAILED: i32 = -1765328360;
pub(crate) const KRB5KRB_AP_ERR_BAD_INTEGRITY: i32 = -1765328353;
pub(crate) const KRB5KRB_AP_ERR_TKT_EXPIRED: i32 = -1765328352;
pub(crate) const KRB5KRB_AP_ERR_SKEW: i32 = -1765328347;
pub(crate) const KRB5_CC_NOTFOUND: i32 = -1765328243;
pub(crate) const KRB5_CC_END: i32 = -1765328242;
pub(crate) const KRB5_KDC_UNREACH: i32 = -1765328228;
pub(crate) const KRB5_FCC_NOFILE: i32 = -1765328189;
pub(crate) const KRB5_REALM_CANT_RESOLVE: i32 = -1765328164;
/// MIT's krb5 GSS mechanism codes (table `k5g`, base 39756032).
const KG_EMPTY_CCACHE: u32 = 39756044;

/// Classifies a failed GSSAPI call. The minor (mechanism) code decides where it is one this
/// module knows; the major routine error otherwise; `message` (the library's own text) is
/// only kept for [`SignInError::Other`].
pub(crate) fn classify(major: u32, minor: u32, message: impl FnOnce() -> String) -> SignInError {
    match minor as i32 {
        KRB5_FCC_NOFILE | KRB5_CC_NOTFOUND => return SignInError::NoTicket,
        KRB5KRB_AP_ERR_TKT_EXPIRED => return SignInError::TicketExpired,
        KRB5_KDC_UNREACH | KRB5_REALM_CANT_RESOLVE => return SignInError::KdcUnreachable,
        KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN => return SignInError::NoServicePrincipal,
        KRB5KRB_AP_ERR_SKEW => return SignInError::ClockSkew { kdc_time: None },
        _ => {}
    }
    if minor == KG_EMPTY_CCACHE {
        return SignInError::NoTicket;
    }
    match (major >> 16) & 0xff {
        GSS_S_NO_CRED => SignInError::NoTicket,
        GSS_S_CREDENTIALS_EXPIRED => SignInError::TicketExpired,
        _ => SignInError::Other(message()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GSS_S_FAILURE: u32 = 13 << 16;

    fn class(major: u32, minor: i32) -> SignInError {
        classify(major, minor as u32, || "library text".to_string())
    }

    #[test]
    fn minor_codes_decide_over_the_generic_failure() {
        assert_eq!(class(GSS_S_FAILURE, KRB5_FCC_NOFILE), SignInError::NoTicket);
        assert_eq!(
            class(GSS_S_FAILURE, KRB5KRB_AP_ERR_TKT_EXPIRED),
            SignInError::TicketExpired
        );
        assert_eq!(
            class(GSS_S_FAILURE, KRB5_KDC_UNREACH),
            SignInError::KdcUnreachable
        );
        assert_eq!(
            class(GSS_S_FAILURE, KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN),
            SignInError::NoServicePrincipal
        );
        assert_eq!(
            class(GSS_S_FAILURE, KRB5KRB_AP_ERR_SKEW),
            SignInError::ClockSkew { kdc_time: None }
        );
    }

    #[test]
    fn major_routine_errors_decide_without_a_known_minor() {
        assert_eq!(class(GSS_S_NO_CRED << 16, 0), SignInError::NoTicket);
        assert_eq!(
            class(GSS_S_CREDENTIALS_EXPIRED << 16, 0),
            SignInError::TicketExpired
        );
        assert_eq!(
            class(GSS_S_FAILURE, 12345),
            SignInError::Other("library text".to_string())
        );
    }
}
