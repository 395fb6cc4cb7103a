#!/usr/bin/env bash
# Checks (default) or rewrites (--fix) every C++ source with clang-format.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files --cached --others --exclude-standard \
    '*.h' '*.cc' '*.cpp' '*.hpp' | grep -v '^build/' || true)
if [ ${#files[@]} -eq 0 ]; then
    exit 0
fi
if [ "${1:-}" = "--fix" ]; then
    clang-format -i "${files[@]}"
else
    clang-format --dry-run -Werror "${files[@]}"
    echo "format-check: ${#files[@]} files clean"
fi
