#!/usr/bin/env python3
"""What a binary's code is made of: its symbols' sizes summed by crate (like `cargo bloat
--crates`, which cannot be installed offline), then the largest symbols.

Usage: scripts/bench-size.py UNSTRIPPED_BINARY [TOP]

The binary must still have its symbol table: build the final link with
`cargo rustc --release -p fix401-app --bin fix401-app -- -C strip=none` (only the last link
runs again). C code has no crate path, so its symbols are grouped by their library prefix
(SQLite, QuickJS, ring's C, GLib…).
"""
import collections
import re
import subprocess
import sys

# C symbols by prefix → the crate that compiles them.
C_PREFIXES = [
    (re.compile(r"^(sqlite3|sqlite)"), "libsqlite3-sys (C)"),
    (re.compile(r"^(JS_|js_|lre_|lre|unicode_|cr_|dbuf_|bf_|mp_|qjs|quickjs|__JS_|rqjs)"), "rquickjs-sys (C)"),
    (re.compile(r"^(ring_core_|GFp_|gcm_|aes_hw_|aes_nohw|x25519_|chacha20_|bn_|ecp_nistz|p256|p384|sha256_block|sha512_block|LIMBS_|limbs_|ChaCha20|CRYPTO_)"), "ring (C/asm)"),
]

# Rust paths: the first segment of the demangled name, through generic wrappers.
RUST_PATH = re.compile(r"^[<&*\s]*(?:dyn\s+|mut\s+|const\s+)*([A-Za-z_][A-Za-z0-9_]*)::")


def crate_of(name: str) -> str:
    m = RUST_PATH.match(name)
    if m:
        return m.group(1)
    for rx, crate in C_PREFIXES:
        if rx.match(name):
            return crate
    return "[other C / runtime]"


def main() -> None:
    binary = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    out = subprocess.run(
        ["nm", "-S", "--size-sort", "-C", binary], capture_output=True, text=True, check=True
    ).stdout
    by_crate: collections.Counter = collections.Counter()
    symbols = []
    for line in out.splitlines():
        parts = line.split(None, 3)
        if len(parts) < 4 or parts[2] not in "tTwWrRdD":
            continue
        size = int(parts[1], 16)
        name = parts[3]
        by_crate[crate_of(name)] += size
        symbols.append((size, name))
    total = sum(by_crate.values())
    print(f"{binary}: {total / 1048576:.1f} MiB in symbols (code and read-only data)")
    print(f"{'crate':<32} {'KiB':>8} {'share':>6}")
    for crate, size in by_crate.most_common(top):
        print(f"{crate:<32} {size / 1024:8.0f} {100 * size / total:5.1f}%")
    print()
    print(f"{'largest symbols':<90} {'KiB':>6}")
    for size, name in sorted(symbols, reverse=True)[:top]:
        print(f"{name[:90]:<90} {size / 1024:6.0f}")


if __name__ == "__main__":
    main()
