#!/usr/bin/env python3
"""Checks that each subsystem includes only itself and subsystems above it.

The order is DESIGN.md section 4. The link graph (CMake DEPS) enforces the same rule for
symbols; this catches header-only reach-arounds the linker cannot see. Run by CTest.
"""
import pathlib
import re
import sys

ORDER = ["base", "types", "crypto", "io", "storage", "store", "kernel", "vsr", "db", "sql",
         "server", "client", "sim", "cli"]
INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/', re.MULTILINE)


def main() -> int:
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    rank = {name: index for index, name in enumerate(ORDER)}
    problems = []
    for path in sorted((root / "src").rglob("*")):
        if path.suffix not in (".h", ".cc"):
            continue
        subsystem = path.relative_to(root / "src").parts[0]
        if subsystem not in rank:
            problems.append(f"{path}: subsystem '{subsystem}' is not in the layering order")
            continue
        for included in INCLUDE.findall(path.read_text(errors="replace")):
            if included == "kimberlite":
                continue  # public headers are usable everywhere
            if included not in rank:
                problems.append(f"{path}: includes unknown subsystem '{included}'")
            elif rank[included] > rank[subsystem]:
                problems.append(
                    f"{path}: '{subsystem}' may not include '{included}' (it is below)")
    public = root / "include" / "kimberlite"
    for path in sorted(public.rglob("*.h")) if public.exists() else []:
        # The public API speaks the vocabulary types (ids, hashes, data classes): public headers
        # may use types/ and what it stands on, base/, and nothing further down.
        for included in INCLUDE.findall(path.read_text(errors="replace")):
            if included not in ("kimberlite", "types", "base"):
                problems.append(
                    f"{path}: public headers may include only kimberlite/, types/ and base/")
    for problem in problems:
        print(problem)
    if not problems:
        print("layering: ok")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
