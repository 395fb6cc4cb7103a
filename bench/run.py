#!/usr/bin/env python3
"""Runs Kimberlite's benchmarks beside their peers and prints ratios.

Each module in bench/suites/ defines run(ctx); it measures one of ours and one peer in the same
run (b3sum, openssl speed, memcpy, SQLite, PostgreSQL, dd ...) and records rows with
ctx.compare(). Full runs take the median of >= 5 repetitions; --quick is the CTest smoke run
(tiny sizes, one repetition: it proves the suites work, its numbers mean nothing).

    bench/run.py --build-dir build/release            # make bench
    bench/run.py --build-dir build/release --quick    # CTest label bench-smoke
    bench/run.py --build-dir build/release --suite blake3
"""
import argparse
import datetime
import importlib.util
import json
import os
import pathlib
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback

ROOT = pathlib.Path(__file__).resolve().parent.parent


class Context:
    def __init__(self, build_dir: pathlib.Path, quick: bool, repetitions: int,
                 tmp: pathlib.Path):
        self.build_dir = build_dir
        self.quick = quick
        self.repetitions = 1 if quick else max(5, repetitions)
        self.tmp = tmp
        self.rows = []
        self.suite = ""

    # --- running things -----------------------------------------------------------------
    def find_binary(self, name: str) -> pathlib.Path:
        for path in sorted(self.build_dir.rglob(name)):
            if path.is_file() and os.access(path, os.X_OK):
                return path
        raise FileNotFoundError(f"benchmark binary {name} not found under {self.build_dir}")

    def gbench(self, binary: str, filter_regex: str, extra_args=(), env=None) -> dict:
        """Runs a Google Benchmark binary; returns {name: median aggregate} (or the single
        run in quick mode, where there are no aggregates)."""
        out_path = self.tmp / f"gbench-{binary}-{len(self.rows)}-{time.monotonic_ns()}.json"
        argv = [str(self.find_binary(binary)), f"--benchmark_filter={filter_regex}",
                f"--benchmark_out={out_path}", "--benchmark_out_format=json"]
        if self.quick:
            argv.append("--benchmark_min_time=0.01")
        else:
            argv += [f"--benchmark_repetitions={self.repetitions}",
                     "--benchmark_report_aggregates_only=true"]
        argv += list(extra_args)
        full_env = dict(os.environ)
        full_env.update({k: str(v) for k, v in (env or {}).items()})
        subprocess.run(argv, check=True, env=full_env, stdout=subprocess.DEVNULL)
        data = json.loads(out_path.read_text())
        results = {}
        for entry in data.get("benchmarks", []):
            if self.quick and entry.get("run_type") == "iteration":
                results[entry["run_name"]] = entry
            elif entry.get("aggregate_name") == "median":
                results[entry["run_name"]] = entry
        return results

    @staticmethod
    def metric(results: dict, name: str, key: str = "items_per_second") -> float:
        """One counter of one benchmark from gbench()'s results, failing loudly when the
        benchmark is missing or reported an error."""
        if name not in results:
            raise KeyError(f"{name} missing from the benchmark output (have {sorted(results)})")
        entry = results[name]
        if entry.get("error_occurred"):
            raise RuntimeError(f"{name} failed: {entry.get('error_message')}")
        return float(entry[key])

    def time_command(self, argv, stdin_path=None) -> float:
        """Median wall-clock seconds of a command over the repetitions."""
        times = []
        for _ in range(self.repetitions):
            stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
            try:
                start = time.perf_counter()
                subprocess.run(argv, check=True, stdin=stdin, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
                times.append(time.perf_counter() - start)
            finally:
                if stdin_path:
                    stdin.close()
        return statistics.median(times)

    def run(self, argv, stdin_path=None) -> str:
        stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
        try:
            return subprocess.run(argv, check=True, stdin=stdin, capture_output=True,
                                  text=True).stdout
        finally:
            if stdin_path:
                stdin.close()

    # --- recording ----------------------------------------------------------------------
    def compare(self, name, ours, peer, peer_name, unit, target, higher_is_better=True):
        if ours <= 0 or peer <= 0:
            raise ValueError(f"{name}: measurements must be positive ({ours}, {peer})")
        ratio = ours / peer if higher_is_better else peer / ours
        row = {"suite": self.suite, "name": name, "ours": ours, "peer": peer,
               "peer_name": peer_name, "unit": unit, "ratio": ratio, "target": target,
               "meets": ratio >= target}
        self.rows.append(row)
        mark = "ok " if row["meets"] else "LOW"
        print(f"  [{mark}] {name}: {ours:,.1f} vs {peer_name} {peer:,.1f} {unit} "
              f"-> {ratio:.2f}x (target {target}x)", flush=True)


def load_suites(selected):
    suites = []
    for path in sorted((ROOT / "bench" / "suites").glob("*.py")):
        if path.stem.startswith("_") or (selected and path.stem not in selected):
            continue
        spec = importlib.util.spec_from_file_location(f"suite_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        suites.append((path.stem, module))
    return suites


def write_report(ctx: Context, path: pathlib.Path, command: str):
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    lines = [f"# Benchmark results ({datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC)",
             "", f"Command: `{command}`  ", f"Machine: {cpu}, {os.cpu_count()} cores, "
             f"{platform.system()} {platform.release()}  ",
             f"Repetitions: {ctx.repetitions} (medians)", "",
             "| suite | benchmark | ours | peer | unit | ratio | target |",
             "|---|---|---:|---:|---|---:|---:|"]
    for row in ctx.rows:
        lines.append(f"| {row['suite']} | {row['name']} | {row['ours']:,.1f} | "
                     f"{row['peer_name']}: {row['peer']:,.1f} | {row['unit']} | "
                     f"{row['ratio']:.2f}x | {row['target']}x |")
    path.write_text("\n".join(lines) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build-dir", default=str(ROOT / "build" / "release"))
    parser.add_argument("--quick", action="store_true", help="smoke run: tiny sizes, 1 rep")
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--suite", action="append", help="run only this suite (repeatable)")
    parser.add_argument("--report", help="markdown output (default BUILD/bench-results.md)")
    args = parser.parse_args()

    build_dir = pathlib.Path(args.build_dir).resolve()
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="kmb-bench-"))
    ctx = Context(build_dir, args.quick, args.repetitions, tmp)
    failures = 0
    try:
        for name, module in load_suites(args.suite):
            ctx.suite = name
            print(f"== {name}", flush=True)
            try:
                module.run(ctx)
            except Exception:  # a broken suite is reported, and the others still run
                failures += 1
                traceback.print_exc()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    report = pathlib.Path(args.report) if args.report else build_dir / (
        "bench-smoke-results.md" if args.quick else "bench-results.md")
    write_report(ctx, report, " ".join(sys.argv))
    print(f"\n{len(ctx.rows)} comparisons; report in {report}")
    if not args.quick:
        low = [row for row in ctx.rows if not row["meets"]]
        print(f"{len(ctx.rows) - len(low)} meet their target, {len(low)} below")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
