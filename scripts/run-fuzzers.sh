#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD_DIR for SECONDS each, starting from a scratch copy of
# its corpus (new interesting inputs land in build/, never silently in the repository; copy
# the useful ones into fuzz/corpus/<target>/ by hand). Usage: run-fuzzers.sh BUILD_DIR SECONDS
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=$1
seconds=$2
status=0
# Input may nest up to the parser's limit (1000 levels); under ASan each level of the binder
# takes tens of KiB of stack, so the default 8 MiB would report overflows a release build
# never meets.
ulimit -s unlimited 2>/dev/null || ulimit -s 1048576 2>/dev/null || true
while IFS= read -r target; do
    name=$(basename "$target")
    stem=${name#kb_}
    work="$build_dir/fuzz-work/$stem"
    mkdir -p "$work"
    if [ -d "fuzz/corpus/$stem" ]; then
        cp -n "fuzz/corpus/$stem"/* "$work"/ 2>/dev/null || true
    fi
    echo "== $name for ${seconds}s"
    if ! "$target" -max_total_time="$seconds" -print_final_stats=1 "$work"; then
        status=1
    fi
done < <(find "$build_dir" -type f -name 'kb_*_fuzz' -perm -u+x | sort)
exit $status
