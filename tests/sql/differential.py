#!/usr/bin/python3
"""differential.py: random SQL on Kimberlite and on PostgreSQL 15, answers compared.

    differential.py --kb-shell build/release/tests/kb_sql_shell --seed 7 --seconds 30
    differential.py --pg-vs-pg --seed 7 --statements 2000       # the harness on its own

Each round makes a fresh random schema (tests/sql/sqlgen.py) in a fresh database on both sides
(a new Kimberlite data directory; a new database of a private PostgreSQL server started here),
loads random data, then runs random statements of issue 5's subset one at a time on both,
comparing every answer:
  * rows: column count, names and types, then the values (in order when the ORDER BY fixes
    it, as a multiset otherwise; string_agg as a multiset of pieces; float sums and averages
    must agree on NULL, NaN and infinities, and finite ones differing beyond a relative 1e-9
    are only "tolerated": summation order may change any digit);
  * command tags (INSERT 0 3, UPDATE 2, ...) exactly;
  * errors by SQLSTATE.
Some differences are the engines' right (see sqlgen.py): a data exception on one side only
in a statement whose evaluation order is the engine's choice, two different constraint errors
from one write. They are counted as "tolerated" and shown with --verbose; --strict counts them.

The first divergence stops the run: it is printed with both answers, the statements that led
to it are shrunk to a minimal script that still diverges, and that script is printed and
written to --repro-out. Exit code 0: no divergence; 1: divergence; 77: skipped (--skip-missing
and no kb_sql_shell).

The budget is --statements and/or --seconds (the first reached ends the run). A run is a
function of --seed and the number of statements: `--seed S --statements N` replays it.
"""
import argparse
import math
import os
import pathlib
import random
import shutil
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from pg_server import PgServer, PgUnavailable  # noqa: E402
from shell_protocol import Result, Shell, ShellError  # noqa: E402
from sqlgen import Generator  # noqa: E402
from sqlgen_values import Statement  # noqa: E402

SKIP = 77
ROUND_STATEMENTS = 250  # statements per round after the schema and the initial data
# The errors one write can meet in several places (which one is reported first is the engine's
# choice when rows or constraints are checked in another order).
WRITE_ERRORS = {"23502", "23503", "23505", "23514", "21000", "22001", "22003", "22012", "22P02",
                "22007", "22008", "0A000"}


# -- the two sides -----------------------------------------------------------------------------


class Side:
    """One engine: opens a fresh database per round, runs frames, restarts."""

    def __init__(self, name, open_shell, reset_sql=None):
        self.name = name
        self.open_shell = open_shell  # () -> (Shell, cleanup)
        self.reset_sql = reset_sql  # empties the database in place, when the engine can
        self.shell = None
        self.cleanup = None

    def fresh(self):
        if self.shell is not None and self.reset_sql:
            try:
                self.shell.restart()  # ends any transaction and session state
                if self.shell.run(self.reset_sql)[-1].kind != "error":
                    return
            except ShellError:
                pass
        self.close()
        self.shell, self.cleanup = self.open_shell()
        self.shell.start()

    def run(self, statement):
        if statement.kind == "restart":
            self.shell.restart()
            return None
        return self.shell.run(statement.sql)[-1]

    def close(self):
        if self.shell is not None:
            self.shell.close()
            self.cleanup()
            self.shell = None


def kb_side(binary, timeout):
    def open_shell():
        root = pathlib.Path(tempfile.mkdtemp(prefix="kb-diff-"))
        shell = Shell([binary, "--data-dir", root / "data", "--key-dir", root / "keys"],
                      timeout_seconds=timeout, name="kimberlite")
        return shell, lambda: shutil.rmtree(root, ignore_errors=True)
    return Side("kimberlite", open_shell)


# The second PostgreSQL of --pg-vs-pg plans differently (index scans where it can, sorting
# instead of hashing), so that rows arrive in another order and expressions are evaluated on
# other rows first: answers the comparison wrongly takes as ordered show up as divergences.
OTHER_PLANS = "-c enable_seqscan=off -c enable_hashagg=off -c enable_bitmapscan=off"


def pg_side(server, name, timeout, fault=None, options=""):
    counter = [0]

    def open_shell():
        counter[0] += 1
        database = f"diff_{name}_{counter[0]}"
        dsn = server.create_database(database)
        argv = [sys.executable, HERE / "pg_shell.py", "--dsn", dsn]
        if fault:
            argv += ["--fault", fault]
        if options:
            argv += ["--options", options]
        shell = Shell(argv, timeout_seconds=timeout, name=name)
        return shell, lambda: server.drop_database(database)
    return Side(name, open_shell, reset_sql="DROP SCHEMA public CASCADE; CREATE SCHEMA public")


# -- comparing answers -------------------------------------------------------------------------


def _float_close(a, b):
    if a == b:
        return True
    try:
        x, y = float(a), float(b)
    except (TypeError, ValueError):
        return False
    if math.isnan(x) or math.isnan(y) or math.isinf(x) or math.isinf(y):
        return (math.isnan(x) and math.isnan(y)) or x == y
    return abs(x - y) <= 1e-9 * max(abs(x), abs(y), 1e-300)


def _normal_row(row, statement):
    out = []
    for index, value in enumerate(row):
        if value is not None and index in statement.unordered_agg:
            value = ",".join(sorted(value.split(",")))
        if value is not None and index in statement.approx:
            try:
                number = float(value)
                value = f"~{number:.6g}"
            except ValueError:
                pass
        out.append(value)
    return out


def _rows_match(expected, actual, statement):
    """"equal", "close" (only float aggregates differ, within no tolerance we can defend:
    their last digits depend on the order of summation, and with values of very different
    magnitudes so can every digit) or "different"."""
    if len(expected) != len(actual):
        return "different"
    if not statement.ordered:
        key = lambda row: [("" if v is None else "\x01" + v) for v in _normal_row(row, statement)]
        expected, actual = sorted(expected, key=key), sorted(actual, key=key)
    verdict = "equal"
    for left, right in zip(expected, actual):
        for index, (a, b) in enumerate(zip(left, right)):
            if a == b:
                continue
            if a is None or b is None:
                return "different"
            if index in statement.unordered_agg and sorted(a.split(",")) == sorted(b.split(",")):
                continue
            if index in statement.approx and _same_float_class(a, b):
                if not _float_close(a, b):
                    verdict = "close"
                continue
            return "different"
    return verdict


def _same_float_class(a, b):
    """Both finite, or the same NaN or infinity."""
    try:
        x, y = float(a), float(b)
    except ValueError:
        return False
    if math.isfinite(x) and math.isfinite(y):
        return True
    return (math.isnan(x) and math.isnan(y)) or x == y


def compare(statement, reference, candidate, *, compare_names=True):
    """None when the answers agree; else ("hard" | "tolerated", reason)."""
    if statement.kind == "restart":
        return None
    if reference.kind != candidate.kind:
        if "error" in (reference.kind, candidate.kind):
            error = reference if reference.kind == "error" else candidate
            if statement.order_dependent and error.sqlstate[:2] == "22":
                return ("tolerated", "an error on one side only, in a statement whose "
                        "evaluation order is the engine's choice")
        return ("hard", "different kinds of answer")
    if reference.kind == "error":
        if reference.sqlstate == candidate.sqlstate:
            return None
        codes = {reference.sqlstate, candidate.sqlstate}
        if statement.kind in ("insert", "update", "delete") and codes <= WRITE_ERRORS:
            return ("tolerated", "different errors from a write that can raise several")
        if len(statement.risks) > 1 and codes <= statement.risks:
            return ("tolerated", "different errors from expressions that can raise several")
        return ("hard", "different SQLSTATE")
    if reference.kind == "ok":
        return None if reference.tag == candidate.tag else ("hard", "different command tag")
    if len(reference.columns) != len(candidate.columns):
        return ("hard", "different number of columns")
    for (ref_name, ref_type), (cand_name, cand_type) in zip(reference.columns,
                                                            candidate.columns):
        if ref_type != cand_type:
            return ("hard", f"column {ref_name!r}: type {ref_type} vs {cand_type}")
        if compare_names and ref_name != cand_name:
            return ("hard", f"column name {ref_name!r} vs {cand_name!r}")
    match = _rows_match(reference.rows, candidate.rows, statement)
    if match == "different":
        return ("hard", "different rows" + ("" if statement.ordered else " (as multisets)"))
    if match == "close":
        return ("tolerated", "float sums or averages differ beyond 1e-9 (summation order)")
    return None


# -- running -----------------------------------------------------------------------------------


class Divergence(Exception):
    def __init__(self, index, statement, reference, candidate, reason):
        super().__init__(reason)
        self.index = index
        self.statement = statement
        self.reference = reference
        self.candidate = candidate
        self.reason = reason


class Stats:
    def __init__(self):
        self.statements = 0
        self.by_kind = {}
        self.outcomes = {}
        self.tolerated = []
        self.examples = {}  # answer -> a few statements that got it (for --verbose)

    def count(self, statement, result):
        self.statements += 1
        self.by_kind[statement.kind] = self.by_kind.get(statement.kind, 0) + 1
        if result is not None:
            key = result.kind if result.kind != "error" else f"error {result.sqlstate}"
            self.outcomes[key] = self.outcomes.get(key, 0) + 1
            if result.kind == "error":
                examples = self.examples.setdefault(key, [])
                if len(examples) < 3:
                    examples.append(f"{statement.sql}\n      -> {result.message}")

    def summary(self):
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(self.by_kind.items()))
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items(),
                                                          key=lambda kv: -kv[1]))
        return (f"{self.statements} statements ({kinds})\n  reference answers: {outcomes}\n"
                f"  tolerated differences: {len(self.tolerated)}")


def run_statements(reference, candidate, statements, args, stats=None, generator=None):
    """Runs statements (a list, or produced by `generator`) on both sides; raises Divergence.
    Returns the statements run."""
    history = []
    source = iter(statements)
    while True:
        try:
            statement = next(source)
        except StopIteration:
            return history
        if statement is None:
            continue
        history.append(statement)
        ref = reference.run(statement)
        try:
            cand = candidate.run(statement)
        except ShellError as error:
            # A crash or a hang is a divergence like any other, with a script to reproduce it.
            candidate.close()
            failure = Result("error", sqlstate="(none)", message=f"the shell failed: {error}")
            divergence = Divergence(len(history) - 1, statement, ref, failure,
                                    f"{candidate.name} failed")
            divergence.history = history
            raise divergence
        if generator is not None:
            generator.observe(statement, ref.kind if ref else "ok")
        if stats is not None:
            stats.count(statement, ref)
        verdict = compare(statement, ref, cand, compare_names=not args.ignore_names)
        if verdict is None:
            continue
        severity, reason = verdict
        if severity == "tolerated" and not args.strict:
            if stats is not None:
                stats.tolerated.append((statement.sql, reason, ref.describe(), cand.describe()))
            if ref.kind != cand.kind:
                # An error on one side only: inside a transaction block, one side's block is
                # now failed and the other's is not. End both (outside one, ROLLBACK is a
                # no-op) so what follows compares like with like.
                resync = Statement("ROLLBACK", "txn")
                reference.run(resync)
                candidate.run(resync)
                if generator is not None:
                    generator.observe(resync, "ok")
            continue
        divergence = Divergence(len(history) - 1, statement, ref, cand, reason)
        divergence.history = history
        raise divergence


def round_statements(rng, budget_left, deadline):
    """The statements of one round, generated lazily (the generator is told each answer)."""
    generator = Generator(rng)

    def produce():
        for statement in generator.schema():
            yield statement
        for statement in generator.initial_data():
            yield statement
        for _ in range(ROUND_STATEMENTS):
            if budget_left() <= 0 or time.monotonic() > deadline:
                return
            yield generator.next()
    return generator, produce()


def reproduces(reference, candidate, statements, args):
    """Whether `statements`, replayed on fresh databases, still diverge; the shortened
    script (cut after the divergence) if so."""
    reference.fresh()
    candidate.fresh()
    try:
        run_statements(reference, candidate, statements, args)
    except Divergence as divergence:
        return statements[:divergence.index + 1]
    except ShellError:  # the reference failed: not this script's doing
        return None
    return None


def minimize(reference, candidate, statements, args):
    """Greedy delta debugging: drop chunks of statements while the script still diverges."""
    deadline = time.monotonic() + args.minimize_seconds
    current = list(statements)
    chunk = max(1, len(current) // 2)
    while chunk >= 1 and time.monotonic() < deadline:
        index = 0
        changed = False
        while index < len(current) - 1 and time.monotonic() < deadline:
            candidate_script = current[:index] + current[index + chunk:]
            if not candidate_script:
                index += chunk
                continue
            shorter = reproduces(reference, candidate, candidate_script, args)
            if shorter is not None:
                current = shorter
                changed = True
            else:
                index += chunk
        if not changed:
            chunk //= 2
    return current


def script_text(statements):
    lines = []
    for statement in statements:
        if statement.kind == "restart":
            lines.append("-- \\restart: close and reopen the database")
        else:
            lines.append(statement.sql + ";")
    return "\n".join(lines)


def describe(result):
    if result is None:
        return "(restart)"
    lines = result.protocol_lines()
    if result.kind == "error":
        lines = [f"ERROR {result.sqlstate} {result.message}"]
    return "\n".join("    " + line for part in lines for line in part.split("\n"))


def main(argv=None):
    parser = argparse.ArgumentParser(description="Kimberlite vs PostgreSQL on random SQL "
                                     "(see the module docstring).")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--kb-shell", help="path of kb_sql_shell")
    target.add_argument("--pg-vs-pg", action="store_true",
                        help="PostgreSQL against itself (two databases): checks the harness")
    parser.add_argument("--seed", type=int, default=None, help="default: random (printed)")
    parser.add_argument("--statements", type=int, default=0, help="statement budget (0: none)")
    parser.add_argument("--seconds", type=float, default=0, help="time budget (0: none)")
    parser.add_argument("--strict", action="store_true",
                        help="count tolerated differences as divergences")
    parser.add_argument("--ignore-names", action="store_true",
                        help="do not compare output column names")
    parser.add_argument("--minimize-seconds", type=float, default=120,
                        help="time allowed for shrinking a divergence's script")
    parser.add_argument("--repro-out", default=None,
                        help="file for the minimal script (default: print only)")
    parser.add_argument("--skip-missing", action="store_true",
                        help="exit 77 when --kb-shell is empty or does not exist")
    parser.add_argument("--timeout", type=float, default=120,
                        help="seconds to wait for one statement's answer")
    parser.add_argument("--fault", default=None,
                        help="--pg-vs-pg only: make the second side misbehave (see "
                             "pg_shell.py --fault), to check that divergences are caught")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)

    if args.kb_shell is not None and not (args.kb_shell and os.path.exists(args.kb_shell)):
        message = f"differential: kb_sql_shell not found ({args.kb_shell or 'not built'})"
        print(message + (": skipped" if args.skip_missing else ""))
        return SKIP if args.skip_missing else 1
    if not args.statements and not args.seconds:
        args.statements = 1000
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31)
    budget = f"{args.statements or 'unlimited'} statements, {args.seconds or 'unlimited'} s"
    print(f"differential: seed {seed}, budget {budget}", flush=True)

    try:
        server = PgServer()
        server.start()
    except PgUnavailable as error:
        print(f"differential: {error}: skipped")
        return SKIP
    reference = pg_side(server, "postgresql", args.timeout)
    if args.pg_vs_pg:
        candidate = pg_side(server, "postgresql-b", args.timeout, fault=args.fault,
                            options=OTHER_PLANS)
    else:
        candidate = kb_side(args.kb_shell, args.timeout)
    try:
        return run(args, seed, reference, candidate)
    finally:
        for side in (reference, candidate):
            try:
                side.close()
            except Exception:  # noqa: BLE001 (cleanup must not hide the result)
                pass
        server.stop()


def run(args, seed, reference, candidate):
    stats = Stats()
    started = time.monotonic()
    deadline = started + args.seconds if args.seconds else float("inf")

    def budget_left():
        return (args.statements - stats.statements) if args.statements else 1

    round_number = 0
    while budget_left() > 0 and time.monotonic() < deadline:
        rng = random.Random(f"{seed}/{round_number}")
        reference.fresh()
        candidate.fresh()
        generator, statements = round_statements(rng, budget_left, deadline)
        try:
            run_statements(reference, candidate, statements, args, stats, generator)
        except Divergence as divergence:
            return report(args, seed, round_number, divergence, stats, reference, candidate)
        except ShellError as error:
            print(f"differential: seed {seed} round {round_number}: the reference failed "
                  f"(a harness problem): {error}")
            return 1
        round_number += 1
    elapsed = time.monotonic() - started
    print(f"differential: no divergence in {round_number} rounds, {elapsed:.1f} s\n  "
          + stats.summary())
    if args.verbose:
        for key, examples in sorted(stats.examples.items()):
            print(f"  {key}, e.g.:")
            for example in examples:
                print(f"    {example}")
        for sql, reason, ref, cand in stats.tolerated[:20]:
            print(f"  tolerated: {reason}\n    {sql}\n    reference: {ref}\n    other: {cand}")
    return 0


def report(args, seed, round_number, divergence, stats, reference, candidate):
    print(f"\nDIVERGENCE (seed {seed}, round {round_number}, statement "
          f"{divergence.index + 1} of the round): {divergence.reason}")
    print(f"statement:\n    {divergence.statement.sql}")
    print(f"{reference.name}:\n{describe(divergence.reference)}")
    print(f"{candidate.name}:\n{describe(divergence.candidate)}")
    print(f"\nafter {stats.summary()}")
    full = divergence.history[:divergence.index + 1]
    print(f"\nshrinking the {len(full)} statements of the round "
          f"(up to {args.minimize_seconds:.0f} s) ...", flush=True)
    minimal = minimize(reference, candidate, full, args)
    text = script_text(minimal)
    print(f"\nminimal reproduction ({len(minimal)} statements; run it on both engines):\n")
    print(text)
    if args.repro_out:
        pathlib.Path(args.repro_out).write_text(
            f"-- differential.py --seed {seed}: round {round_number}\n{text}\n")
        print(f"\n(written to {args.repro_out})")
    return 1


if __name__ == "__main__":
    sys.exit(main())
