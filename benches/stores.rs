//! Store benchmarks, ratios printed in one run (`cargo bench --bench stores`):
//!
//! (a) one site's entries out of a 50 000-entry Simple Cache, `fix401 clear --cache`,
//!     vs `rm -rf` of the whole cache (target: ratio ≤ 1);
//! (b) a whole-cache clear (Blockfile cache: moved aside whole, with undo) vs
//!     `bleachbit --clean chromium.cache` with HOME at the temp home (target: ≥ 3× faster);
//! (c) one site's cookies out of a 100 000-row `Cookies` database, with backup, vs the
//!     `sqlite3` CLI's plain DELETE (target: ratio ≤ 1.2);
//! (d) one site out of 10 000 origins in a Chromium `Local Storage/leveldb`, `fix401 clear
//!     --storage` with backup, vs a process that opens the same database with
//!     `rusty-leveldb`, finds the same records and deletes them in one batch, without any
//!     backup (target: ratio ≤ 1.5 — fix401 reads the database twice, once as a copy in
//!     memory for the plan, since opening a LevelDB rewrites it, and once to delete, and it
//!     writes the backup; the rest of the work is the same).
//!
//! Every run gets fresh data (prepared untimed); the median of `FIX401_BENCH_RUNS` (5)
//! runs is reported. Everything happens in temporary homes. `FIX401_BENCH_CASES=d` (a
//! comma-separated list of `a`…`d`) runs only those cases.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The cookie-store schemas the integration tests build their stores from.
#[allow(dead_code)]
#[path = "../tests/cli/support/schemas.rs"]
mod schemas;

/// Sizes: the real ones under `cargo bench`, small ones when `cargo test --all-targets`
/// runs this file as a smoke test (no `--bench` argument).
struct Sizes {
    origins: usize,
    entries: usize,
    site_entries: usize,
    rows: usize,
    site_rows: usize,
    runs: usize,
}

fn main() {
    // Case (d)'s baseline runs in its own process, as fix401 does: this binary again.
    let args: Vec<String> = std::env::args().collect();
    if let [_, flag, dir] = args.as_slice()
        && flag == DIRECT_DELETE
    {
        direct_local_storage_delete(Path::new(dir));
        return;
    }
    let only = std::env::var("FIX401_BENCH_CASES").ok();
    let wanted = |case: &str| {
        only.as_deref()
            .is_none_or(|o| o.split(',').any(|c| c.trim() == case))
    };
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_fix401"));
    let full = std::env::args().any(|a| a == "--bench");
    let sizes = if full {
        Sizes {
            origins: 10_000,
            entries: 50_000,
            site_entries: 50,
            rows: 100_000,
            site_rows: 20,
            runs: std::env::var("FIX401_BENCH_RUNS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(5),
        }
    } else {
        println!("smoke run (small data; `cargo bench --bench stores` for the real figures)");
        Sizes {
            origins: 200,
            entries: 500,
            site_entries: 5,
            rows: 2_000,
            site_rows: 4,
            runs: 1,
        }
    };
    let Sizes {
        origins,
        entries,
        site_entries,
        rows,
        site_rows,
        runs,
    } = sizes;
    let tmp = tempfile::Builder::new()
        .prefix("fix401-bench-")
        .tempdir()
        .expect("temp dir");
    let root = tmp.path();

    if wanted("a") {
        let template = root.join("simple-template");
        simple_cache(&template, entries, site_entries);
        let ours = median(runs, || {
            let (home, data, cache) = fresh_home(root, "a", &template);
            let t = time(
                fix401(&bin, &home, &data).args(["clear", "--site", "a.test", "--cache", "--yes"]),
            );
            let left = std::fs::read_dir(&cache).map(|d| d.count()).unwrap_or(0);
            assert_eq!(
                left,
                entries - site_entries + 1,
                "fix401 left the other sites' entries"
            );
            t
        });
        let rm = median(runs, || {
            let (_home, _data, cache) = fresh_home(root, "a", &template);
            time(Command::new("rm").arg("-rf").arg(&cache))
        });
        report(
            &format!(
                "(a) one site out of a {entries}-entry Simple Cache vs rm -rf of the whole cache"
            ),
            ours,
            "rm -rf",
            rm,
            "≤ 1",
        );
    }

    if wanted("b") {
        let template = root.join("blockfile-template");
        blockfile_cache(&template, entries);
        let ours = median(runs, || {
            let (home, data, cache) = fresh_home(root, "b", &template);
            let t = time(
                fix401(&bin, &home, &data).args(["clear", "--site", "a.test", "--cache", "--yes"]),
            );
            assert!(
                !cache.exists(),
                "fix401 moved the whole Blockfile cache aside"
            );
            t
        });
        let bleachbit = median(runs, || {
            let (home, _data, cache) = fresh_home(root, "b", &template);
            let mut cmd = Command::new("bleachbit");
            cmd.args(["--clean", "chromium.cache"])
                .env_clear()
                .env("HOME", &home)
                .env("PATH", std::env::var("PATH").unwrap_or_default())
                .env("LANG", "C.UTF-8");
            let t = time(&mut cmd);
            let left = count_files(&cache);
            assert!(
                left <= 1,
                "bleachbit left {left} files in {}",
                cache.display()
            );
            t
        });
        let ratio = bleachbit.as_secs_f64() / ours.as_secs_f64();
        println!(
            "(b) whole-cache clear ({entries} files): fix401 {:.1} ms, bleachbit {:.1} ms → fix401 is {ratio:.1}× faster (target ≥ 3×)",
            ms(ours),
            ms(bleachbit)
        );
    }

    if wanted("c") {
        let template_db = root.join("Cookies-template");
        cookies_db(&template_db, rows, site_rows);
        let empty = root.join("empty-template");
        std::fs::create_dir_all(&empty).unwrap();
        let ours = median(runs, || {
            let (home, data, _cache) = fresh_home(root, "c", &empty);
            let db = home.join(".config/chromium/Default/Cookies");
            std::fs::copy(&template_db, &db).unwrap();
            let t = time(fix401(&bin, &home, &data).args([
                "clear",
                "--site",
                "a.test",
                "--cookies",
                "--yes",
            ]));
            assert_eq!(count_rows(&db), rows - site_rows);
            t
        });
        let sqlite = median(runs, || {
            let (home, _data, _cache) = fresh_home(root, "c", &empty);
            let db = home.join(".config/chromium/Default/Cookies");
            std::fs::copy(&template_db, &db).unwrap();
            let t = time(Command::new("sqlite3").arg(&db).arg(
                "DELETE FROM cookies WHERE host_key = 'a.test' OR substr(host_key, -7) = '.a.test' \
             OR top_frame_site_key IN ('https://a.test', 'http://a.test');",
            ));
            assert_eq!(count_rows(&db), rows - site_rows);
            t
        });
        report(
            &format!(
                "(c) one site's cookies out of {rows} rows, with backup, vs sqlite3 plain DELETE"
            ),
            ours,
            "sqlite3",
            sqlite,
            "≤ 1.2",
        );
    }

    if wanted("d") {
        let template = root.join("local-storage-template");
        let site_records = local_storage(&template, origins);
        let empty = root.join("empty-template");
        std::fs::create_dir_all(&empty).unwrap();
        let fresh = || {
            let (home, data, _cache) = fresh_home(root, "d", &empty);
            let ls = home.join(".config/chromium/Default/Local Storage/leveldb");
            std::fs::create_dir_all(ls.parent().unwrap()).unwrap();
            assert!(
                Command::new("cp")
                    .arg("-a")
                    .arg(&template)
                    .arg(&ls)
                    .status()
                    .unwrap()
                    .success()
            );
            let _ = Command::new("sync").status();
            (home, data, ls)
        };
        let ours = median(runs, || {
            let (home, data, ls) = fresh();
            let t = time(fix401(&bin, &home, &data).args([
                "clear",
                "--site",
                "a.test",
                "--storage",
                "--yes",
            ]));
            assert_eq!(site_records_in(&ls), 0, "fix401 removed a.test's records");
            t
        });
        let direct = median(runs, || {
            let (_home, _data, ls) = fresh();
            let t = time(
                Command::new(std::env::current_exe().unwrap())
                    .arg(DIRECT_DELETE)
                    .arg(&ls),
            );
            assert_eq!(site_records_in(&ls), 0, "the direct delete removed them");
            t
        });
        report(
            &format!(
                "(d) one site ({site_records} records) out of {origins} origins in Local Storage, \
                 with backup, vs rusty-leveldb's direct delete without backup"
            ),
            ours,
            "rusty-leveldb",
            direct,
            "≤ 1.5",
        );
    }
}

/// The argument that makes this binary case (d)'s baseline.
const DIRECT_DELETE: &str = "--direct-local-storage-delete";

/// The options Chromium's Local Storage is written with (Snappy blocks), for an existing
/// database unless `create`.
fn leveldb_options(create: bool) -> rusty_leveldb::Options {
    rusty_leveldb::Options {
        create_if_missing: create,
        compressor:
            <rusty_leveldb::compressor::SnappyCompressor as rusty_leveldb::CompressorId>::ID,
        ..rusty_leveldb::Options::default()
    }
}

/// The baseline of case (d): open the database, find a.test's records by the same rule as
/// fix401, delete them in one synced batch; no backup.
fn direct_local_storage_delete(dir: &Path) {
    use rusty_leveldb::LdbIterator;
    let site = fix401::stores::Site::parse("a.test", false).unwrap();
    let mut db = rusty_leveldb::DB::open(dir, leveldb_options(false)).unwrap();
    let mut batch = rusty_leveldb::WriteBatch::default();
    let mut it = db.new_iter().unwrap();
    while let Some((k, _)) = it.next() {
        let mine = fix401::stores::local_storage::storage_key_of(&k)
            .and_then(|sk| std::str::from_utf8(sk).ok())
            .is_some_and(|sk| fix401::stores::local_storage::matches_storage_key(&site, sk));
        if mine {
            batch.delete(&k);
        }
    }
    drop(it);
    db.write(batch, true).unwrap();
    db.close().unwrap();
}

/// A Local Storage database as Chromium lays it out: `VERSION`, and per origin its `META:`
/// and `METAACCESS:` records and two items (a token and a small setting), with a.test's
/// two origins among `origins`; the number of a.test's records.
fn local_storage(dir: &Path, origins: usize) -> usize {
    let mut db = rusty_leveldb::DB::open(dir, leveldb_options(true)).unwrap();
    db.put(b"VERSION", b"1").unwrap();
    let mut site = 0;
    for i in 0..origins {
        let origin = match i {
            _ if i == origins / 3 => "https://a.test".to_string(),
            _ if i == 2 * origins / 3 => "http://a.test:8080".to_string(),
            _ => format!("https://site{i}.example"),
        };
        let mut batch = rusty_leveldb::WriteBatch::default();
        batch.put(format!("META:{origin}").as_bytes(), b"\x08\x01\x10\x2a");
        batch.put(format!("METAACCESS:{origin}").as_bytes(), b"\x08\x07");
        let token: Vec<u8> = std::iter::once(1)
            .chain((0..120).map(|j| b'a' + ((i * 7 + j) % 26) as u8))
            .collect();
        batch.put(format!("_{origin}\x00\x01token").as_bytes(), &token);
        batch.put(format!("_{origin}\x00\x01theme").as_bytes(), b"\x01dark");
        db.write(batch, false).unwrap();
        if origin.contains("a.test") {
            site += 4;
        }
    }
    db.flush().unwrap();
    db.close().unwrap();
    site
}

/// How many records of a.test's origins the database holds.
fn site_records_in(dir: &Path) -> usize {
    use rusty_leveldb::LdbIterator;
    let mut db = rusty_leveldb::DB::open(dir, leveldb_options(false)).unwrap();
    let mut it = db.new_iter().unwrap();
    let mut n = 0;
    while let Some((k, _)) = it.next() {
        if fix401::stores::local_storage::storage_key_of(&k)
            .is_some_and(|sk| String::from_utf8_lossy(sk).contains("a.test"))
        {
            n += 1;
        }
    }
    n
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn report(what: &str, ours: Duration, other_name: &str, other: Duration, target: &str) {
    println!(
        "{what}: fix401 {:.1} ms, {other_name} {:.1} ms → ratio {:.2} (target {target})",
        ms(ours),
        ms(other),
        ours.as_secs_f64() / other.as_secs_f64()
    );
}

fn median(runs: usize, mut f: impl FnMut() -> Duration) -> Duration {
    let mut v: Vec<Duration> = (0..runs.max(1)).map(|_| f()).collect();
    v.sort();
    v[v.len() / 2]
}

fn time(cmd: &mut Command) -> Duration {
    cmd.stdin(Stdio::null());
    let start = Instant::now();
    let out = cmd.output().expect("run");
    let t = start.elapsed();
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    t
}

fn fix401(bin: &Path, home: &Path, data: &Path) -> Command {
    let mut c = Command::new(bin);
    c.arg("--home")
        .arg(home)
        .arg("--os")
        .arg("linux")
        .arg("--data-dir")
        .arg(data);
    c
}

/// A fresh Linux home with a Chromium profile whose cache is a copy of `cache_template`.
fn fresh_home(root: &Path, tag: &str, cache_template: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let dir = root.join(format!("run-{tag}"));
    let _ = std::fs::remove_dir_all(&dir);
    let home = dir.join("home");
    let data = dir.join("data");
    let profile = home.join(".config/chromium/Default");
    std::fs::create_dir_all(&profile).unwrap();
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(profile.join("Preferences"), b"{}").unwrap();
    std::fs::write(
        home.join(".config/chromium/Local State"),
        br#"{"profile":{"info_cache":{"Default":{"name":"Person 1"}}}}"#,
    )
    .unwrap();
    let cache = home.join(".cache/chromium/Default/Cache/Cache_Data");
    std::fs::create_dir_all(cache.parent().unwrap()).unwrap();
    let ok = Command::new("cp")
        .arg("-a")
        .arg(cache_template)
        .arg(&cache)
        .status()
        .unwrap()
        .success();
    assert!(ok);
    // Drop the copy from the page cache's dirty list before timing.
    let _ = Command::new("sync").status();
    (home, data, cache)
}

fn count_files(dir: &Path) -> usize {
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

/// A Simple Cache: fake index + `n` entry files, `site` of them for a.test.
fn simple_cache(dir: &Path, n: usize, site: usize) {
    std::fs::create_dir_all(dir).unwrap();
    let mut index = 0xfcfb_6d1b_a772_5c30_u64.to_le_bytes().to_vec();
    index.extend([9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    std::fs::write(dir.join("index"), index).unwrap();
    for i in 0..n {
        let host = if i % (n / site) == 0 {
            "a.test".to_string()
        } else {
            format!("site{}.example", i % 997)
        };
        let key = format!("1/0/_dk_https://{host} https://{host} https://{host}/asset/{i}.js");
        let body = vec![b'x'; 200 + i % 700];
        let mut out = 0xfcfb_6d1b_a772_5c30_u64.to_le_bytes().to_vec();
        out.extend(5u32.to_le_bytes());
        out.extend((key.len() as u32).to_le_bytes());
        out.extend(0u32.to_le_bytes());
        out.extend(0u32.to_le_bytes());
        out.extend(key.as_bytes());
        out.extend(&body);
        for flags in [1u32, 3u32] {
            out.extend(0xf4fa_6f45_970d_41d8_u64.to_le_bytes());
            out.extend(flags.to_le_bytes());
            out.extend([0u8; 12]);
        }
        use sha1::Digest;
        let d = sha1::Sha1::digest(key.as_bytes());
        let name = format!("{:016x}_0", u64::from_le_bytes(d[..8].try_into().unwrap()));
        std::fs::write(dir.join(name), out).unwrap();
    }
}

/// A Blockfile cache: `index` with its magic, `data_0..3`, and `f_xxxxxx` payload files.
fn blockfile_cache(dir: &Path, n: usize) {
    std::fs::create_dir_all(dir).unwrap();
    let mut index = 0xC103_CAC3_u32.to_le_bytes().to_vec();
    index.extend(0x30000_u32.to_le_bytes());
    index.resize(368, 0);
    std::fs::write(dir.join("index"), index).unwrap();
    for i in 0..4 {
        let mut d = 0xC104_CAC3_u32.to_le_bytes().to_vec();
        d.resize(8192, 0);
        std::fs::write(dir.join(format!("data_{i}")), d).unwrap();
    }
    for i in 0..n - 5 {
        std::fs::write(dir.join(format!("f_{i:06x}")), vec![b'y'; 200 + i % 700]).unwrap();
    }
}

/// A Chromium `Cookies` v24 database with `rows` rows, `site` of them for a.test.
fn cookies_db(path: &Path, rows: usize, site: usize) {
    let db = rusqlite::Connection::open(path).unwrap();
    db.execute_batch(schemas::CHROMIUM_COOKIES_V24).unwrap();
    db.execute_batch("BEGIN;").unwrap();
    {
        let mut stmt = db
            .prepare(
                "INSERT INTO cookies VALUES (?1, ?2, '', ?3, '', ?4, '/', ?5, 1, 1, ?1, 1, 1, 1, 0, 2,
                 443, ?1, 1, 0)",
            )
            .unwrap();
        let now: i64 = (1_700_000_000 + 11_644_473_600) * 1_000_000;
        for i in 0..rows {
            let host = if i % (rows / site) == 0 {
                if i % 2 == 0 {
                    "a.test".to_string()
                } else {
                    ".a.test".to_string()
                }
            } else {
                format!(".site{}.example", i / 10)
            };
            let mut blob = b"v10".to_vec();
            blob.extend((0..48).map(|j| ((i * 31 + j) % 251) as u8));
            stmt.execute(rusqlite::params![
                now + i as i64,
                host,
                format!("c{i}"),
                blob,
                now + 86_400_000_000
            ])
            .unwrap();
        }
    }
    db.execute_batch("COMMIT;").unwrap();
}

fn count_rows(db: &Path) -> usize {
    let c = rusqlite::Connection::open(db).unwrap();
    c.query_row("SELECT count(*) FROM cookies", [], |r| r.get::<_, i64>(0))
        .unwrap() as usize
}
