//! The credential cache through MIT krb5 (`libkrb5.so.3`), loaded at run time: which cache,
//! whose principal, and the ticket-granting ticket's times. Keys and tickets are never
//! copied out of the library's structures, and are freed with them.
//!
//! `krb5_creds` is declared with MIT's layout; Heimdal's (macOS) differs, so this reader is
//! built for the MIT platforms only.

use std::ffi::{CStr, CString, c_char, c_void};
use std::ptr::null_mut;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::codes::{
    KRB5_CC_END, KRB5_CC_NOTFOUND, KRB5_FCC_NOFILE, KRB5_KDC_UNREACH, KRB5_REALM_CANT_RESOLVE,
    KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN, KRB5KDC_ERR_CLIENT_REVOKED, KRB5KDC_ERR_KEY_EXPIRED,
    KRB5KDC_ERR_PREAUTH_FAILED, KRB5KRB_AP_ERR_BAD_INTEGRITY, KRB5KRB_AP_ERR_SKEW,
};
use super::{CacheSource, CacheState, CredentialCache, SignInError, TgtTimes, realm_of};

type Context = *mut c_void;
type Ccache = *mut c_void;
type Principal = *mut c_void;
type ErrorCode = i32;

#[repr(C)]
struct Keyblock {
    magic: i32,
    enctype: i32,
    length: u32,
    contents: *mut u8,
}

#[repr(C)]
struct Data {
    magic: i32,
    length: u32,
    data: *mut c_char,
}

#[repr(C)]
struct TicketTimes {
    authtime: i32,
    starttime: i32,
    endtime: i32,
    renew_till: i32,
}

/// MIT's `krb5_creds` (krb5.h).
#[repr(C)]
struct Creds {
    magic: i32,
    client: Principal,
    server: Principal,
    keyblock: Keyblock,
    times: TicketTimes,
    is_skey: u32,
    ticket_flags: i32,
    addresses: *mut c_void,
    ticket: Data,
    second_ticket: Data,
    authdata: *mut c_void,
}

/// The library's entry points (loaded once, for the life of the process).
struct Krb5 {
    init_context: unsafe extern "C" fn(*mut Context) -> ErrorCode,
    free_context: unsafe extern "C" fn(Context),
    cc_default: unsafe extern "C" fn(Context, *mut Ccache) -> ErrorCode,
    cc_get_type: unsafe extern "C" fn(Context, Ccache) -> *const c_char,
    cc_get_name: unsafe extern "C" fn(Context, Ccache) -> *const c_char,
    cc_get_principal: unsafe extern "C" fn(Context, Ccache, *mut Principal) -> ErrorCode,
    cc_start_seq_get: unsafe extern "C" fn(Context, Ccache, *mut *mut c_void) -> ErrorCode,
    cc_next_cred: unsafe extern "C" fn(Context, Ccache, *mut *mut c_void, *mut Creds) -> ErrorCode,
    cc_end_seq_get: unsafe extern "C" fn(Context, Ccache, *mut *mut c_void) -> ErrorCode,
    cc_close: unsafe extern "C" fn(Context, Ccache) -> ErrorCode,
    free_cred_contents: unsafe extern "C" fn(Context, *mut Creds),
    unparse_name: unsafe extern "C" fn(Context, Principal, *mut *mut c_char) -> ErrorCode,
    free_unparsed_name: unsafe extern "C" fn(Context, *mut c_char),
    free_principal: unsafe extern "C" fn(Context, Principal),
    get_error_message: unsafe extern "C" fn(Context, ErrorCode) -> *const c_char,
    free_error_message: unsafe extern "C" fn(Context, *const c_char),
    parse_name: unsafe extern "C" fn(Context, *const c_char, *mut Principal) -> ErrorCode,
    #[allow(clippy::type_complexity)]
    get_init_creds_password: unsafe extern "C" fn(
        Context,
        *mut Creds,    // creds (filled)
        Principal,     // client
        *const c_char, // password
        *mut c_void,   // prompter (none: nothing is asked)
        *mut c_void,   // prompter data
        i32,           // start_time (now)
        *const c_char, // in_tkt_service (the realm's krbtgt)
        *mut c_void,   // options (the library's defaults, from krb5.conf)
    ) -> ErrorCode,
    cc_initialize: unsafe extern "C" fn(Context, Ccache, Principal) -> ErrorCode,
    cc_store_cred: unsafe extern "C" fn(Context, Ccache, *mut Creds) -> ErrorCode,
}

/// The ticket flag of a renewable ticket (krb5.h).
const TKT_FLG_RENEWABLE: i32 = 0x0080_0000;

/// The environment variable that names the krb5 library to load instead of `libkrb5.so.3`.
pub const LIBRARY_VAR: &str = "FIX401_KRB5_LIBRARY";

fn load() -> Result<&'static Krb5, SignInError> {
    static KRB5: OnceLock<Result<super::loader::Loaded<Krb5>, String>> = OnceLock::new();
    /// SAFETY (caller): the symbols have the MIT krb5.h signatures declared above.
    unsafe fn bind(lib: &libloading::Library) -> Result<Krb5, libloading::Error> {
        unsafe {
            Ok(Krb5 {
                init_context: *lib.get(b"krb5_init_context\0")?,
                free_context: *lib.get(b"krb5_free_context\0")?,
                cc_default: *lib.get(b"krb5_cc_default\0")?,
                cc_get_type: *lib.get(b"krb5_cc_get_type\0")?,
                cc_get_name: *lib.get(b"krb5_cc_get_name\0")?,
                cc_get_principal: *lib.get(b"krb5_cc_get_principal\0")?,
                cc_start_seq_get: *lib.get(b"krb5_cc_start_seq_get\0")?,
                cc_next_cred: *lib.get(b"krb5_cc_next_cred\0")?,
                cc_end_seq_get: *lib.get(b"krb5_cc_end_seq_get\0")?,
                cc_close: *lib.get(b"krb5_cc_close\0")?,
                free_cred_contents: *lib.get(b"krb5_free_cred_contents\0")?,
                unparse_name: *lib.get(b"krb5_unparse_name\0")?,
                free_unparsed_name: *lib.get(b"krb5_free_unparsed_name\0")?,
                free_principal: *lib.get(b"krb5_free_principal\0")?,
                get_error_message: *lib.get(b"krb5_get_error_message\0")?,
                free_error_message: *lib.get(b"krb5_free_error_message\0")?,
                parse_name: *lib.get(b"krb5_parse_name\0")?,
                get_init_creds_password: *lib.get(b"krb5_get_init_creds_password\0")?,
                cc_initialize: *lib.get(b"krb5_cc_initialize\0")?,
                cc_store_cred: *lib.get(b"krb5_cc_store_cred\0")?,
            })
        }
    }
    super::loader::load(&KRB5, LIBRARY_VAR, &["libkrb5.so.3"], bind)
}

/// A krb5 context, freed on drop.
struct Ctx<'a> {
    k: &'a Krb5,
    ctx: Context,
}

impl Drop for Ctx<'_> {
    fn drop(&mut self) {
        // SAFETY: the context was made by krb5_init_context.
        unsafe { (self.k.free_context)(self.ctx) };
    }
}

impl Ctx<'_> {
    fn error(&self, code: ErrorCode) -> SignInError {
        // SAFETY: the message is the library's, freed after copying.
        let text = unsafe {
            let p = (self.k.get_error_message)(self.ctx, code);
            if p.is_null() {
                format!("krb5 error {code}")
            } else {
                let s = CStr::from_ptr(p).to_string_lossy().into_owned();
                (self.k.free_error_message)(self.ctx, p);
                s
            }
        };
        SignInError::Other(text)
    }

    fn unparse(&self, principal: Principal) -> Option<String> {
        let mut out: *mut c_char = null_mut();
        // SAFETY: a principal from the library; the string is freed after copying.
        unsafe {
            if (self.k.unparse_name)(self.ctx, principal, &mut out) != 0 || out.is_null() {
                return None;
            }
            let s = CStr::from_ptr(out).to_string_lossy().into_owned();
            (self.k.free_unparsed_name)(self.ctx, out);
            Some(s)
        }
    }
}

fn time(ts: i32) -> Option<SystemTime> {
    // krb5 timestamps are unsigned 32-bit seconds since 1970 (MIT ≥ 1.17); 0 means "unset".
    (ts != 0).then(|| UNIX_EPOCH + Duration::from_secs(ts as u32 as u64))
}

/// A fresh krb5 context (krb5.conf read now).
fn context(k: &Krb5) -> Result<Ctx<'_>, SignInError> {
    let mut raw: Context = null_mut();
    // SAFETY: krb5_init_context fills `raw`, freed by `Ctx`'s drop.
    let code = unsafe { (k.init_context)(&mut raw) };
    if code != 0 || raw.is_null() {
        return Err(SignInError::Other(format!(
            "krb5_init_context failed ({code})"
        )));
    }
    Ok(Ctx { k, ctx: raw })
}

/// Reads the default credential cache (`KRB5CCNAME`, else the library's default).
pub fn credential_cache() -> Result<CredentialCache, SignInError> {
    with_default_cache(read)
}

/// Runs `f` with a new library context and the default credential cache, closing both
/// after it, whatever `f` returns.
fn with_default_cache<T>(
    f: impl FnOnce(&Ctx, Ccache) -> Result<T, SignInError>,
) -> Result<T, SignInError> {
    let k = load()?;
    let ctx = context(k)?;
    let mut cc: Ccache = null_mut();
    // SAFETY: resolving the default cache; closed below.
    let code = unsafe { (k.cc_default)(ctx.ctx, &mut cc) };
    if code != 0 {
        return Err(ctx.error(code));
    }
    let result = f(&ctx, cc);
    // SAFETY: closing the handle krb5_cc_default opened.
    unsafe { (k.cc_close)(ctx.ctx, cc) };
    result
}

fn read(ctx: &Ctx, cc: Ccache) -> Result<CredentialCache, SignInError> {
    let k = ctx.k;
    // SAFETY: the strings belong to the open cache handle and are copied at once.
    let name = unsafe {
        let t = CStr::from_ptr((k.cc_get_type)(ctx.ctx, cc)).to_string_lossy();
        let n = CStr::from_ptr((k.cc_get_name)(ctx.ctx, cc)).to_string_lossy();
        format!("{t}:{n}")
    };
    let source = if std::env::var_os("KRB5CCNAME").is_some_and(|v| !v.is_empty()) {
        CacheSource::Environment
    } else {
        CacheSource::Default
    };
    let cache = |state| CredentialCache {
        name: name.clone(),
        source,
        state,
    };
    let mut princ: Principal = null_mut();
    // SAFETY: the principal is freed below.
    let code = unsafe { (k.cc_get_principal)(ctx.ctx, cc, &mut princ) };
    if code == KRB5_FCC_NOFILE || code == KRB5_CC_NOTFOUND {
        return Ok(cache(CacheState::NoCache));
    }
    if code != 0 {
        return Err(ctx.error(code));
    }
    let principal = ctx.unparse(princ);
    // SAFETY: freeing the principal krb5_cc_get_principal returned.
    unsafe { (k.free_principal)(ctx.ctx, princ) };
    let Some(principal) = principal else {
        return Err(SignInError::Other("unreadable principal".to_string()));
    };
    let realm = realm_of(&principal).unwrap_or_default().to_string();
    let tgt_name = CString::new(format!("krbtgt/{realm}@{realm}")).unwrap_or_default();
    let mut tgt = None;
    let mut cursor: *mut c_void = null_mut();
    // SAFETY: iterating the open cache; each entry's contents are freed after reading the
    // server name and times (the session key and ticket are never looked at).
    unsafe {
        let code = (k.cc_start_seq_get)(ctx.ctx, cc, &mut cursor);
        if code != 0 {
            return Err(ctx.error(code));
        }
        loop {
            let mut creds: Creds = std::mem::zeroed();
            let code = (k.cc_next_cred)(ctx.ctx, cc, &mut cursor, &mut creds);
            if code == KRB5_CC_END {
                break;
            }
            if code != 0 {
                (k.cc_end_seq_get)(ctx.ctx, cc, &mut cursor);
                return Err(ctx.error(code));
            }
            let server = ctx.unparse(creds.server);
            if server.as_deref().map(str::as_bytes) == Some(tgt_name.as_bytes()) {
                let t = &creds.times;
                if let (Some(start), Some(end)) =
                    (time(t.starttime).or(time(t.authtime)), time(t.endtime))
                {
                    tgt = Some(TgtTimes {
                        start,
                        end,
                        renew_until: if creds.ticket_flags & TKT_FLG_RENEWABLE != 0 {
                            time(t.renew_till)
                        } else {
                            None
                        },
                    });
                }
            }
            (k.free_cred_contents)(ctx.ctx, &mut creds);
        }
        (k.cc_end_seq_get)(ctx.ctx, cc, &mut cursor);
    }
    Ok(cache(match tgt {
        Some(times) => CacheState::Tgt {
            principal,
            realm,
            times,
        },
        None => CacheState::NoTgt { principal, realm },
    }))
}

/// The name of the user this process runs as (the password database's, not `$USER`, which
/// anyone can set).
fn login_name() -> Option<String> {
    let mut buf = vec![0 as c_char; 4096];
    // SAFETY: a zeroed passwd filled by getpwuid_r from `buf`, read before `buf` goes.
    unsafe {
        let mut pw: libc::passwd = std::mem::zeroed();
        let mut out: *mut libc::passwd = null_mut();
        let rc = libc::getpwuid_r(
            libc::geteuid(),
            &mut pw,
            buf.as_mut_ptr(),
            buf.len(),
            &mut out,
        );
        if rc != 0 || out.is_null() || pw.pw_name.is_null() {
            return None;
        }
        Some(CStr::from_ptr(pw.pw_name).to_string_lossy().into_owned())
    }
}

/// A principal parsed by the library (a name without a realm gets the default realm),
/// freed on drop.
struct Parsed<'a> {
    ctx: &'a Ctx<'a>,
    principal: Principal,
}

impl Drop for Parsed<'_> {
    fn drop(&mut self) {
        // SAFETY: a principal from krb5_parse_name or krb5_cc_get_principal.
        unsafe { (self.ctx.k.free_principal)(self.ctx.ctx, self.principal) };
    }
}

impl Ctx<'_> {
    fn parse(&self, name: &str) -> Result<Parsed<'_>, SignInError> {
        let c = CString::new(name)
            .map_err(|_| SignInError::Other(format!("not a principal name: {name:?}")))?;
        let mut principal: Principal = null_mut();
        // SAFETY: a NUL-terminated name; the principal is freed by `Parsed`.
        let code = unsafe { (self.k.parse_name)(self.ctx, c.as_ptr(), &mut principal) };
        if code != 0 {
            return Err(SignInError::Other(format!(
                "cannot use the principal {name:?}: {}",
                self.error(code)
            )));
        }
        Ok(Parsed {
            ctx: self,
            principal,
        })
    }

    /// The class of a failed krb5_get_init_creds_password for `who`, said for a person.
    fn password_error(&self, code: ErrorCode, who: &str) -> SignInError {
        match code {
            KRB5KDC_ERR_PREAUTH_FAILED | KRB5KRB_AP_ERR_BAD_INTEGRITY => SignInError::Other(
                format!("the password for {who} was not accepted: type it again"),
            ),
            KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN => SignInError::Other(format!(
                "the realm does not know {who}: check the name (--principal user@REALM)"
            )),
            KRB5KDC_ERR_KEY_EXPIRED => SignInError::Other(format!(
                "the password of {who} has expired: change it (kpasswd, or your company's \
                 password page), then sign in again"
            )),
            KRB5KDC_ERR_CLIENT_REVOKED => SignInError::Other(format!(
                "the account {who} is locked or disabled: ask your help desk"
            )),
            KRB5_KDC_UNREACH | KRB5_REALM_CANT_RESOLVE => SignInError::KdcUnreachable,
            KRB5KRB_AP_ERR_SKEW => SignInError::ClockSkew { kdc_time: None },
            _ => self.error(code),
        }
    }
}

/// Obtains a new ticket-granting ticket for `principal` (`None`: the cache's principal, else
/// this user's login name in the default realm) with `password` (its bytes, no NUL), and
/// stores it in the default credential cache (`KRB5CCNAME`, else the library's default),
/// replacing what the cache held. The cache is only touched once the KDC has answered with
/// a ticket, so a refused password leaves it as it was. Returns the principal signed in.
///
/// The password goes to the library from a NUL-terminated copy that is wiped before it is
/// freed; the caller wipes its own.
pub fn sign_in(principal: Option<&str>, password: &[u8]) -> Result<String, SignInError> {
    if password.contains(&0) {
        return Err(SignInError::Other(
            "the password cannot contain a NUL character".into(),
        ));
    }
    with_default_cache(|ctx, cc| sign_in_to(ctx, cc, principal, password))
}

fn sign_in_to(
    ctx: &Ctx,
    cc: Ccache,
    principal: Option<&str>,
    password: &[u8],
) -> Result<String, SignInError> {
    let k = ctx.k;
    let client = match principal {
        Some(p) => ctx.parse(p)?,
        None => {
            let mut princ: Principal = null_mut();
            // SAFETY: the cache's principal, freed by `Parsed`.
            let code = unsafe { (k.cc_get_principal)(ctx.ctx, cc, &mut princ) };
            if code == 0 && !princ.is_null() {
                Parsed {
                    ctx,
                    principal: princ,
                }
            } else {
                let name = login_name().ok_or_else(|| {
                    SignInError::Other(
                        "cannot tell who you are: pass --principal user@REALM".into(),
                    )
                })?;
                ctx.parse(&name)?
            }
        }
    };
    let who = ctx
        .unparse(client.principal)
        .ok_or_else(|| SignInError::Other("unreadable principal".into()))?;
    // The library wants a C string: a copy with a NUL, wiped before it is freed.
    let mut secret: Vec<u8> = Vec::with_capacity(password.len() + 1);
    secret.extend_from_slice(password);
    secret.push(0);
    let mut secret = zeroize::Zeroizing::new(secret);
    // SAFETY: every pointer is valid for the call; the creds' contents are freed below.
    let mut creds: Creds = unsafe { std::mem::zeroed() };
    let code = unsafe {
        (k.get_init_creds_password)(
            ctx.ctx,
            &mut creds,
            client.principal,
            secret.as_mut_ptr() as *const c_char,
            null_mut(),
            null_mut(),
            0,
            std::ptr::null(),
            null_mut(),
        )
    };
    drop(secret);
    if code != 0 {
        return Err(ctx.password_error(code, &who));
    }
    // SAFETY: the cache handle is open and the creds were filled by the library.
    let stored = unsafe {
        match (k.cc_initialize)(ctx.ctx, cc, client.principal) {
            0 => (k.cc_store_cred)(ctx.ctx, cc, &mut creds),
            e => e,
        }
    };
    // SAFETY: freeing what krb5_get_init_creds_password filled (keys wiped by the library).
    unsafe { (k.free_cred_contents)(ctx.ctx, &mut creds) };
    if stored != 0 {
        return Err(SignInError::Other(format!(
            "the new ticket could not be stored in the credential cache: {}",
            ctx.error(stored)
        )));
    }
    Ok(who)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realm_is_after_the_last_unescaped_at() {
        assert_eq!(realm_of("user@EXAMPLE.TEST"), Some("EXAMPLE.TEST"));
        assert_eq!(realm_of("a\\@b@R.TEST"), Some("R.TEST"));
        assert_eq!(realm_of("HTTP/web@R"), Some("R"));
        assert_eq!(realm_of("noat"), None);
    }
}
