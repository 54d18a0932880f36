#!/usr/bin/env python3
"""Checks the floor plan of ARCHITECTURE.md on the source text (run from the checkout's root).

Rules (each printed PASS/FAIL; exit 0 only when all hold):
  1. no import cycle between the core's top-level modules (files and folders directly in src/);
  2. the desktop shell (src-tauri/src) reaches the core through `fix401::api` only (plus the
     crate-root re-exports and the shared vocabulary `model` and `error`);
  3. the CLI (src/cli) goes through the same door: `fix401::api`, `model`, `error` only;
  4. `diagnosis` is pure reasoning: no System, tokio, reqwest, hickory, std::fs, std::net,
     std::process;
  5. every cause id ("dns.stale", "site_data.stale"…) is spelled once in the core's non-test
     code: in the cause table of src/model.rs.
Test code (`#[cfg(test)]` onwards, `tests.rs`, `tests/`) is not looked at."""
import os, re, sys

SRC = "src"
FACE_OK = {"api", "model", "error"}


def rs_files(path):
    if os.path.isfile(path):
        return [path]
    out = []
    for root, _, files in os.walk(path):
        out += [os.path.join(root, f) for f in files if f.endswith(".rs")]
    return sorted(out)


def code(path):
    text = open(path, encoding="utf-8", errors="replace").read()
    cut = text.find("#[cfg(test)]")
    return text if cut < 0 else text[:cut]


def is_test_file(path):
    return path.endswith("tests.rs") or path.endswith("proptests.rs") or "/tests/" in path


def top_modules():
    mods = {}
    for entry in os.listdir(SRC):
        path = os.path.join(SRC, entry)
        if entry.endswith(".rs") and entry not in ("lib.rs", "main.rs"):
            mods.setdefault(entry[:-3], []).append(path)
        elif os.path.isdir(path):
            mods.setdefault(entry, []).extend(rs_files(path))
    return mods


def used_modules(text, root, mods):
    found = set(re.findall(r"\b" + root + r"::([a-z_][a-z0-9_]*)", text))
    for group in re.findall(r"\buse " + root + r"::\{([^;]*)\}", text, re.S):
        found |= set(re.findall(r"(?:^|[,{\s])([a-z_][a-z0-9_]*)(?=::|\s*[,}]|$)", group))
    return {m for m in found if m in mods}


def cycles(graph):
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main():
    mods = top_modules()
    results = []
    graph = {m: set() for m in mods}
    for m, files in mods.items():
        for f in files:
            if not is_test_file(f):
                graph[m] |= used_modules(code(f), "crate", mods) - {m}
    found = cycles(graph)
    results.append(("no import cycle between core modules",
                    "; ".join(" <-> ".join(c) for c in found)))

    for name, root, files in (
        ("the shell reaches the core through fix401::api", "fix401", rs_files("src-tauri/src")),
        ("the CLI reaches the core through fix401::api", "fix401", rs_files(os.path.join(SRC, "cli"))),
    ):
        used = set()
        for f in files:
            used |= used_modules(code(f), root, mods)
        results.append((name, ", ".join(sorted(used - FACE_OK))))

    impure = []
    for m, files in mods.items():
        if not m.startswith("diagnos"):
            continue
        for f in files:
            if is_test_file(f):
                continue
            for word in ("System", "tokio", "reqwest", "hickory", "std::fs", "std::net", "std::process"):
                if re.search(r"\b" + re.escape(word) + r"\b", code(f)):
                    impure.append(f"{f}: {word}")
    results.append(("diagnosis is pure", "; ".join(impure)))

    spelled = []
    model = os.path.join(SRC, "model.rs")
    if os.path.isfile(model):
        ids = set(re.findall(r'"([a-z_]+\.[a-z_]+)"', code(model)))
        for m, files in mods.items():
            for f in files:
                if is_test_file(f) or f == model:
                    continue
                for cause in sorted(ids & set(re.findall(r'"([a-z_]+\.[a-z_]+)"', code(f)))):
                    spelled.append(f"{f}: {cause}")
    else:
        spelled.append("no src/model.rs")
    results.append(("cause ids are spelled once (src/model.rs)", "; ".join(spelled[:8])))

    failed = 0
    for name, problem in results:
        print(("FAIL  " if problem else "PASS  ") + name + (f" -- {problem}" if problem else ""))
        failed += bool(problem)
    print(f"structure: {len(results) - failed}/{len(results)} passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
