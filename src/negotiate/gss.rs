//! GSSAPI (RFC 2744 C bindings), loaded at run time: MIT's `libgssapi_krb5` on Linux,
//! Heimdal's `libgssapi` where that is the one installed, Apple's GSS framework on macOS.
//! Only the few calls an initial SPNEGO token needs.

use std::ffi::c_void;
use std::ptr::null_mut;
use std::sync::OnceLock;

use super::{SignInError, Token, codes};

type OmUint32 = u32;

#[repr(C)]
struct BufferDesc {
    length: usize,
    value: *mut c_void,
}

#[repr(C)]
struct OidDesc {
    length: OmUint32,
    elements: *mut c_void,
}

type ImportName = unsafe extern "C" fn(
    *mut OmUint32,
    *const BufferDesc,
    *const OidDesc,
    *mut *mut c_void,
) -> OmUint32;
type ReleaseName = unsafe extern "C" fn(*mut OmUint32, *mut *mut c_void) -> OmUint32;
#[allow(clippy::type_complexity)]
type InitSecContext = unsafe extern "C" fn(
    *mut OmUint32,     // minor_status
    *mut c_void,       // claimant_cred_handle (GSS_C_NO_CREDENTIAL: the default cache)
    *mut *mut c_void,  // context_handle
    *mut c_void,       // target_name
    *const OidDesc,    // mech_type
    OmUint32,          // req_flags
    OmUint32,          // time_req
    *mut c_void,       // input_chan_bindings
    *const BufferDesc, // input_token
    *mut *mut OidDesc, // actual_mech_type
    *mut BufferDesc,   // output_token
    *mut OmUint32,     // ret_flags
    *mut OmUint32,     // time_rec
) -> OmUint32;
type DeleteSecContext =
    unsafe extern "C" fn(*mut OmUint32, *mut *mut c_void, *mut BufferDesc) -> OmUint32;
type ReleaseBuffer = unsafe extern "C" fn(*mut OmUint32, *mut BufferDesc) -> OmUint32;
type DisplayStatus = unsafe extern "C" fn(
    *mut OmUint32,
    OmUint32,
    i32,
    *const OidDesc,
    *mut OmUint32,
    *mut BufferDesc,
) -> OmUint32;

/// The library's entry points (loaded once, for the life of the process).
struct Gss {
    import_name: ImportName,
    release_name: ReleaseName,
    init_sec_context: InitSecContext,
    delete_sec_context: DeleteSecContext,
    release_buffer: ReleaseBuffer,
    display_status: DisplayStatus,
}

/// Where GSSAPI usually is, first match wins; `FIX401_GSSAPI_LIBRARY` names another one
/// (as Firefox's `network.negotiate-auth.gsslib` does).
const CANDIDATES: &[&str] = if cfg!(target_os = "macos") {
    &["/System/Library/Frameworks/GSS.framework/GSS"]
} else {
    &["libgssapi_krb5.so.2", "libgssapi.so.3"]
};

/// The environment variable that names the GSSAPI library to load instead of the usual ones.
pub const LIBRARY_VAR: &str = "FIX401_GSSAPI_LIBRARY";

fn load() -> Result<&'static Gss, SignInError> {
    static GSS: OnceLock<Result<super::loader::Loaded<Gss>, String>> = OnceLock::new();
    /// SAFETY (caller): the symbols have the RFC 2744 signatures declared above.
    unsafe fn bind(lib: &libloading::Library) -> Result<Gss, libloading::Error> {
        unsafe {
            Ok(Gss {
                import_name: *lib.get(b"gss_import_name\0")?,
                release_name: *lib.get(b"gss_release_name\0")?,
                init_sec_context: *lib.get(b"gss_init_sec_context\0")?,
                delete_sec_context: *lib.get(b"gss_delete_sec_context\0")?,
                release_buffer: *lib.get(b"gss_release_buffer\0")?,
                display_status: *lib.get(b"gss_display_status\0")?,
            })
        }
    }
    super::loader::load(&GSS, LIBRARY_VAR, CANDIDATES, bind)
}

/// True when a GSSAPI library can be loaded.
pub fn available() -> bool {
    load().is_ok()
}

const GSS_C_NT_HOSTBASED_SERVICE: &[u8] =
    &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x01, 0x04];
const GSS_MECH_KRB5: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02];
const GSS_C_MUTUAL_FLAG: OmUint32 = 2;
const GSS_C_GSS_CODE: i32 = 1;
const GSS_C_MECH_CODE: i32 = 2;

fn oid(bytes: &'static [u8]) -> OidDesc {
    OidDesc {
        length: bytes.len() as OmUint32,
        elements: bytes.as_ptr() as *mut c_void,
    }
}

fn is_error(major: OmUint32) -> bool {
    // Calling errors (bits 24-31) and routine errors (bits 16-23); supplementary bits such
    // as GSS_S_CONTINUE_NEEDED are not failures.
    major & 0xffff_0000 != 0
}

/// An initial SPNEGO token for the service `HTTP@host` from the default credential cache.
///
/// The Kerberos mechanism is asked directly and its token wrapped in SPNEGO here: through
/// the SPNEGO mechanism MIT's mechglue hands back a substitute minor code (its error map
/// renumbers codes a second mechanism passes on), which would leave only message text to
/// classify by.
pub fn spnego_token(host: &str) -> Result<Token, SignInError> {
    let gss = load()?;
    let service = format!("HTTP@{host}");
    let name_buf = BufferDesc {
        length: service.len(),
        value: service.as_ptr() as *mut c_void,
    };
    let nt = oid(GSS_C_NT_HOSTBASED_SERVICE);
    let mech = oid(GSS_MECH_KRB5);
    let mut minor: OmUint32 = 0;
    let mut name: *mut c_void = null_mut();
    // SAFETY: every pointer is valid for the call; the name is released below.
    let major = unsafe { (gss.import_name)(&mut minor, &name_buf, &nt, &mut name) };
    if is_error(major) {
        return Err(gss.error(major, minor));
    }
    let mut ctx: *mut c_void = null_mut();
    let mut out = BufferDesc {
        length: 0,
        value: null_mut(),
    };
    // SAFETY: as above; the context and output buffer are released below.
    let major = unsafe {
        (gss.init_sec_context)(
            &mut minor,
            null_mut(),
            &mut ctx,
            name,
            &mech,
            GSS_C_MUTUAL_FLAG,
            0,
            null_mut(),
            std::ptr::null(),
            null_mut(),
            &mut out,
            null_mut(),
            null_mut(),
        )
    };
    let result = if is_error(major) {
        Err(gss.error(major, minor))
    } else if out.value.is_null() || out.length == 0 {
        Err(SignInError::Other(
            "GSSAPI returned no initial token".to_string(),
        ))
    } else {
        // SAFETY: GSSAPI returned `length` readable bytes at `value`.
        let bytes = unsafe { std::slice::from_raw_parts(out.value as *const u8, out.length) };
        Ok(Token::new(super::token::spnego_init(bytes)))
    };
    let mut ignored: OmUint32 = 0;
    // SAFETY: releasing what the calls above allocated (null handles are accepted).
    unsafe {
        if !out.value.is_null() {
            // The library's copy of the token is wiped before it goes back to the allocator.
            std::ptr::write_bytes(out.value as *mut u8, 0, out.length);
            (gss.release_buffer)(&mut ignored, &mut out);
        }
        if !ctx.is_null() {
            (gss.delete_sec_context)(&mut ignored, &mut ctx, null_mut());
        }
        (gss.release_name)(&mut ignored, &mut name);
    }
    result
}

impl Gss {
    fn error(&self, major: OmUint32, minor: OmUint32) -> SignInError {
        codes::classify(major, minor, || {
            let mut text = self.status_text(major, GSS_C_GSS_CODE);
            if minor != 0 {
                text.push_str(": ");
                text.push_str(&self.status_text(minor, GSS_C_MECH_CODE));
            }
            text
        })
    }

    /// `gss_display_status` for one code, every message joined.
    fn status_text(&self, code: OmUint32, kind: i32) -> String {
        let mut parts = Vec::new();
        let mut message_context: OmUint32 = 0;
        loop {
            let mut minor: OmUint32 = 0;
            let mut buf = BufferDesc {
                length: 0,
                value: null_mut(),
            };
            // SAFETY: valid pointers; the buffer is released right after reading it.
            let major = unsafe {
                (self.display_status)(
                    &mut minor,
                    code,
                    kind,
                    std::ptr::null(),
                    &mut message_context,
                    &mut buf,
                )
            };
            if is_error(major) {
                break;
            }
            if !buf.value.is_null() {
                // SAFETY: `length` readable bytes at `value`.
                let bytes =
                    unsafe { std::slice::from_raw_parts(buf.value as *const u8, buf.length) };
                parts.push(String::from_utf8_lossy(bytes).into_owned());
                // SAFETY: returning the buffer gss_display_status allocated.
                unsafe { (self.release_buffer)(&mut minor, &mut buf) };
            }
            if message_context == 0 || parts.len() > 8 {
                break;
            }
        }
        parts.join("; ")
    }
}
