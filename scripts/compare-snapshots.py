#!/usr/bin/env python3
"""Compares two folders of CLI output snapshots (FIX401_SNAPSHOT_DIR, see tests/cli/support/mod.rs).

Usage: compare-snapshots.py BEFORE AFTER

Masks what differs between any two runs (temporary paths, loopback ports, timings, dates,
backup ids, process ids) and prints every snapshot whose masked text differs, with a diff.
Exit 0 when every scenario printed the same, 1 otherwise. Used to show a refactor changed
no output (issue 16)."""
import difflib, os, re, sys

MASKS = [
    (re.compile(r"/tmp/[^\s\"'),:]+"), "<TMP>"),
    (re.compile(r"\.tmp[A-Za-z0-9]{6}"), "<TMP>"),
    (re.compile(r"(127\.0\.0\.1|localhost|\[::1\]|[a-z0-9-]+\.[a-z]+):\d{2,5}\b"), r"\1:<PORT>"),
    (re.compile(r"\b[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT"), "<DATE>"),
    (re.compile(r"\d+(\.\d+)?\s?(ms|µs|us|s)\b"), "<T>"),
    (re.compile(r"\"(total_ms|elapsed_ms|ms|duration_ms|[a-z_]+_ms)\":\s?[\d.]+"), r'"\1":<T>'),
    (re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?"), "<DATE>"),
    (re.compile(r"\b\d{8}T\d{6}Z?(-\d+)?\b"), "<ID>"),
    (re.compile(r"\b\d{8}-\d{6}\b"), "<ID>"),
    (re.compile(r"\b(pid|process|PID) \d+\b"), r"\1 <N>"),
    (re.compile(r"\b(process [\w.-]+) \(\d+\)"), r"\1 (<N>)"),
    (re.compile(r"\b(kill -[A-Z]+) \d+\b"), r"\1 <N>"),
    (re.compile(r"\b1[6-9]\d{8}\b"), "<EPOCH>"),
]

def masked(text):
    for rx, rep in MASKS:
        text = rx.sub(rep, text)
    return text

def load(d):
    return {f: masked(open(os.path.join(d, f), encoding="utf-8", errors="replace").read())
            for f in sorted(os.listdir(d))}

def main():
    if len(sys.argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    before, after = load(sys.argv[1]), load(sys.argv[2])
    differ = 0
    for name in sorted(set(before) | set(after)):
        a, b = before.get(name), after.get(name)
        if a == b:
            continue
        differ += 1
        if a is None or b is None:
            print(f"only {'after' if a is None else 'before'}: {name}")
            continue
        sys.stdout.writelines(difflib.unified_diff(
            a.splitlines(True), b.splitlines(True), f"before/{name}", f"after/{name}", n=1))
    same = len(set(before) & set(after)) - sum(
        1 for n in set(before) & set(after) if before[n] != after[n])
    print(f"snapshots: {same} identical, {differ} differ ({len(before)} before, {len(after)} after)")
    return 0 if differ == 0 else 1

sys.exit(main())
