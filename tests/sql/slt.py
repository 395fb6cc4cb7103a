#!/usr/bin/python3
"""slt.py: runs sqllogictest files (test/sql/*.slt) against a SQL shell.

    slt.py --kb-shell build/release/tests/kb_sql_shell test/sql      # Kimberlite
    slt.py --pg test/sql                                             # PostgreSQL 15 itself
    slt.py --pg --complete test/sql/reads_where.slt                  # (re)write expected results

Every file runs in a fresh database (a new data directory for Kimberlite, a new database for
PostgreSQL) through one shell process speaking tests/sql/shell_protocol.py. The first mismatch
of a file is reported as file:line with the SQL, the expected and the actual answer; the run
goes on with the next file. Exit code 0 when every file passed (or was skipped), 1 otherwise, 77
with --skip-missing when the Kimberlite shell is not built.

File format (classic sqllogictest, plus a few directives):

    # comment
    statement ok                     the statement(s) must succeed
    statement error [SQLSTATE] [re]  must fail; with that SQLSTATE, and a message re.search-ing
                                     the regular expression, when given
    statement count N                must succeed with N rows (command tag or RETURNING rows)
    query <types> [sortmode]         <types>: one letter per column, I integer, R real/numeric,
    SELECT ...                       T anything else (checked against the column types);
    ----                             sortmode: nosort (default), rowsort, valuesort, or regex
    expected results                 (each expected line a regular expression that must match
                                     a result line, in order; `!re`: no line may match re)
    restart                          the shell closes the database and reopens it
    capture NAME                     runs a one-value query; later SQL may use ${NAME}
    bind [v1<TAB>v2...]              the next statement/query record (one statement) runs as a
                                     prepared statement with these parameter values in text
                                     format ($1 = v1, ...; NULL and (empty) as in results), its
                                     parameter types inferred by the engine
    onlyif ENGINE / skipif ENGINE    the next record runs only on / is skipped on ENGINE
    require ENGINE                   the whole file runs only on ENGINE (kimberlite, postgresql)
    halt                             stops the file here

Records are separated by blank lines. Expected results are either one value per line or one row
per line with values separated by tabs. Values are written as the shell prints them (backslashes
doubled, tab and newline as \\t and \\n), NULL as `NULL` and the empty string as `(empty)`.
"""
import argparse
import dataclasses
import os
import pathlib
import re
import shutil
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from shell_protocol import Shell, ShellError, split_statements, type_letter  # noqa: E402

ENGINES = ("kimberlite", "postgresql")
SORT_MODES = ("nosort", "rowsort", "valuesort", "regex")
SQLSTATE = re.compile(r"^[0-9A-Z]{5}$")
SKIP = 77


class SltSyntaxError(Exception):
    pass


@dataclasses.dataclass
class Record:
    kind: str  # statement, query, restart, capture, halt
    line: int  # 1-based line of the record's header
    start: int  # index of the record's first line (conditions included)
    end: int  # index after its last line
    conditions: list = dataclasses.field(default_factory=list)
    expect: str = ""  # statement: ok, error, count
    sqlstate: str = ""
    message_re: str = ""
    count: int = 0
    sql: str = ""
    types: str = ""
    sortmode: str = "nosort"
    expected: list = dataclasses.field(default_factory=list)
    header: str = ""
    sql_lines: list = dataclasses.field(default_factory=list)
    name: str = ""  # capture
    bind: list = None  # parameter values (None entries: NULL) when run prepared


@dataclasses.dataclass
class SltFile:
    path: pathlib.Path
    lines: list
    records: list
    require: list


def parse(path):
    text = pathlib.Path(path).read_text(encoding="utf-8")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    records, require, conditions = [], [], []
    condition_start = None
    bind = None  # the values of a pending `bind` line
    index = 0

    def fail(message):
        raise SltSyntaxError(f"{path}:{index + 1}: {message}")

    def block(start):
        """Lines from start up to a blank line (or EOF, or `----`); the index after."""
        end = start
        while end < len(lines) and lines[end].strip() != "" and lines[end] != "----":
            end += 1
        return lines[start:end], end

    while index < len(lines):
        line = lines[index]
        words = line.split()
        if not words or line.startswith("#"):
            index += 1
            continue
        head = words[0]
        start = condition_start if condition_start is not None else index
        if head in ("onlyif", "skipif"):
            if len(words) != 2 or words[1] not in ENGINES:
                fail(f"{head} needs one engine of {ENGINES}")
            conditions.append((head, words[1]))
            if condition_start is None:
                condition_start = index
            index += 1
            continue
        if head == "bind":
            values = line.split("\t")[1:] if "\t" in line else []
            if line.split("\t")[0].strip() != "bind":
                fail("bind values are separated by tabs")
            bind = [None if value == "NULL" else "" if value == "(empty)" else value
                    for value in values]
            if condition_start is None:
                condition_start = index
            index += 1
            continue
        if head == "require":
            if len(words) != 2 or words[1] not in ENGINES:
                fail(f"require needs one engine of {ENGINES}")
            require.append(words[1])
            index += 1
            continue
        record = Record(kind=head, line=index + 1, start=start, end=index + 1,
                        conditions=conditions, header=line)
        conditions, condition_start = [], None
        record.bind, bind = bind, None
        if record.bind is not None and head not in ("statement", "query"):
            fail("bind applies to a statement or query record")
        if head in ("restart", "halt"):
            if len(words) != 1:
                fail(f"{head} takes no arguments")
            index += 1
        elif head == "statement":
            if len(words) < 2 or words[1] not in ("ok", "error", "count"):
                fail("statement ok | statement error [SQLSTATE] [regex] | statement count N")
            record.expect = words[1]
            if record.expect == "ok" and len(words) != 2:
                fail("statement ok takes no arguments")
            if record.expect == "count":
                if len(words) != 3 or not words[2].isdigit():
                    fail("statement count needs a row count")
                record.count = int(words[2])
            if record.expect == "error":
                rest = line.split(None, 2)[2] if len(words) > 2 else ""
                if SQLSTATE.match(rest.split(" ", 1)[0]):
                    record.sqlstate, _, rest = rest.partition(" ")
                record.message_re = rest.strip()
                if record.message_re:
                    try:
                        re.compile(record.message_re)
                    except re.error as error:
                        fail(f"bad regular expression: {error}")
            record.sql_lines, index = block(index + 1)
            if index < len(lines) and lines[index] == "----":
                fail("a statement has no expected results (use query)")
        elif head == "query":
            if len(words) > 3:
                fail("query [types] [sortmode]")
            for word in words[1:]:
                if word in SORT_MODES:
                    record.sortmode = word
                elif re.fullmatch(r"[ITR]+", word):
                    record.types = word
                else:
                    fail(f"unknown query option {word!r} (types are I, T, R; sort modes "
                         f"{', '.join(SORT_MODES)})")
            record.sql_lines, index = block(index + 1)
            if index < len(lines) and lines[index] == "----":
                index += 1
                while index < len(lines) and lines[index] != "":
                    record.expected.append(lines[index])
                    index += 1
        elif head == "capture":
            if len(words) != 2 or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", words[1]):
                fail("capture needs a name")
            record.name = words[1]
            record.sql_lines, index = block(index + 1)
        else:
            fail(f"unknown record {head!r}")
        if head in ("statement", "query", "capture"):
            record.sql = "\n".join(record.sql_lines)
            if not split_statements(record.sql):
                raise SltSyntaxError(f"{path}:{record.line}: {head} without SQL")
            if record.bind is not None and len(split_statements(record.sql)) != 1:
                raise SltSyntaxError(f"{path}:{record.line}: a bound record holds one statement")
        record.end = index
        records.append(record)
    return SltFile(pathlib.Path(path), lines, records, require)


# -- results as text ---------------------------------------------------------------------------


def render(value):
    if value is None:
        return "NULL"
    if value == "":
        return "(empty)"
    return value


def expected_rows(record, ncols):
    """The expected values as rows of `ncols`; None if they cannot be read that way."""
    lines = record.expected
    if ncols > 1 and lines and all(line.count("\t") == ncols - 1 for line in lines):
        return [line.split("\t") for line in lines]
    if any("\t" in line for line in lines) or ncols == 0 or len(lines) % ncols:
        return None
    return [lines[i:i + ncols] for i in range(0, len(lines), ncols)]


def sorted_for(sortmode, rows):
    if sortmode == "rowsort":
        return sorted(rows)
    return rows


def result_lines(sortmode, rows):
    """Rows as the lines --complete writes: a row per line, or a value per line (valuesort)."""
    if sortmode == "valuesort":
        return sorted(value for row in rows for value in row)
    return ["\t".join(row) for row in sorted_for(sortmode, rows)]


# -- running -----------------------------------------------------------------------------------


class Mismatch(Exception):
    pass


def describe_results(results):
    return "\n".join(line for result in results for line in result.protocol_lines())


def check_statement(record, results):
    last = results[-1]
    if record.expect == "ok":
        if last.kind == "error":
            raise Mismatch(f"expected success, got {last.describe()}")
    elif record.expect == "count":
        if last.kind == "error":
            raise Mismatch(f"expected {record.count} rows, got {last.describe()}")
        count = len(last.rows) if last.kind == "rows" else _tag_count(last.tag)
        if count != record.count:
            raise Mismatch(f"expected {record.count} rows, got {count} ({last.describe()})")
    else:
        if last.kind != "error":
            raise Mismatch(f"expected an error, got success: {last.describe()}")
        if record.sqlstate and last.sqlstate != record.sqlstate:
            raise Mismatch(f"expected SQLSTATE {record.sqlstate}, got {last.describe()}")
        if record.message_re and not re.search(record.message_re, last.message):
            raise Mismatch(f"expected a message matching /{record.message_re}/, got "
                           f"{last.describe()}")


def _tag_count(tag):
    words = tag.split()
    return int(words[-1]) if words and words[-1].isdigit() else None


def check_query(record, results):
    """Raises Mismatch; returns the rendered rows (for --complete)."""
    for result in results[:-1]:
        if result.kind == "error":
            raise Mismatch(f"expected rows, got {result.describe()}")
    last = results[-1]
    if last.kind != "rows":
        raise Mismatch(f"expected rows, got {last.describe()}")
    ncols = len(last.columns)
    if record.types and len(record.types) != ncols:
        raise Mismatch(f"expected {len(record.types)} columns ({record.types}), got {ncols}: "
                       f"{', '.join(f'{n} {t}' for n, t in last.columns)}")
    if record.types:
        for letter, (name, typname) in zip(record.types, last.columns):
            if type_letter(typname) != letter:
                raise Mismatch(f"column {name!r} has type {typname}, not a type of letter "
                               f"{letter} ({record.types})")
    rows = [[render(value) for value in row] for row in last.rows]
    if record.sortmode == "regex":
        actual = ["\t".join(row) for row in rows]
        position = 0
        for pattern in record.expected:
            if pattern.startswith("!"):
                hits = [line for line in actual if re.search(pattern[1:], line)]
                if hits:
                    raise Mismatch(f"a result line matches /{pattern[1:]}/: {hits[0]!r}\n"
                                   "actual:\n" + "\n".join(actual))
                continue
            while position < len(actual) and not re.search(pattern, actual[position]):
                position += 1
            if position == len(actual):
                raise Mismatch(f"no result line after the previous match matches /{pattern}/\n"
                               "actual:\n" + "\n".join(actual))
            position += 1
        return rows
    expected = expected_rows(record, ncols)
    actual_lines = result_lines(record.sortmode, rows)
    if expected is None:
        raise Mismatch(f"cannot read the expected lines as rows of {ncols} values\n"
                       "actual:\n" + "\n".join(actual_lines))
    if record.sortmode == "valuesort":
        same = sorted(v for row in expected for v in row) == actual_lines
    else:
        same = sorted_for(record.sortmode, expected) == sorted_for(record.sortmode, rows)
    if not same:
        expected_lines = result_lines(record.sortmode, expected)
        raise Mismatch("wrong result\nexpected:\n" + "\n".join(expected_lines) +
                       "\nactual:\n" + "\n".join(actual_lines))
    return rows


def applies(record, engine):
    for kind, name in record.conditions:
        if kind == "onlyif" and name != engine:
            return False
        if kind == "skipif" and name == engine:
            return False
    return True


@dataclasses.dataclass
class Outcome:
    path: pathlib.Path
    status: str  # passed, failed, skipped
    failures: list = dataclasses.field(default_factory=list)
    records_run: int = 0


def run_file(slt, shell, engine, *, complete=False, keep_going=False):
    """Runs the records of one parsed file on a started shell."""
    outcome = Outcome(slt.path, "passed")
    replacements = {}  # record start -> new lines (complete mode)
    captures = {}
    for record in slt.records:
        if record.kind == "halt":
            break
        if not applies(record, engine):
            continue
        outcome.records_run += 1
        sql = re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}",
                     lambda m: captures.get(m.group(1), m.group(0)), record.sql)
        try:
            if record.kind == "restart":
                shell.restart()
                continue
            results = shell.run(sql) if record.bind is None else shell.run_bound(sql, record.bind)
            if record.kind == "capture":
                last = results[-1]
                if last.kind != "rows" or len(last.rows) != 1 or len(last.columns) != 1:
                    raise Mismatch(f"capture needs one value, got {describe_results(results)}")
                captures[record.name] = last.rows[0][0] or ""
            elif record.kind == "statement":
                if complete:
                    completed = complete_statement(record, results)
                    if completed is not None:
                        replacements[record.start] = (record, completed)
                        continue
                check_statement(record, results)
            elif record.kind == "query":
                if complete and record.sortmode != "regex":
                    replacements[record.start] = (record, complete_query(record, results))
                else:
                    check_query(record, results)
        except Mismatch as mismatch:
            outcome.status = "failed"
            outcome.failures.append(
                f"{slt.path}:{record.line}: {mismatch}\nSQL:\n{sql}\n"
                f"shell output:\n{describe_results(results)}")
            if not (keep_going or complete):
                break
        except ShellError as error:
            outcome.status = "failed"
            outcome.failures.append(f"{slt.path}:{record.line}: {error}\nSQL:\n{sql}")
            break
    if complete and outcome.status == "passed" and replacements:
        rewrite(slt, replacements)
    return outcome


def complete_statement(record, results):
    """New lines for a statement record whose answer --complete fills in, else None."""
    last = results[-1]
    if record.expect == "error" and not record.sqlstate and last.kind == "error":
        header = f"statement error {last.sqlstate}"
        if record.message_re:
            header += " " + record.message_re
            if not re.search(record.message_re, last.message):
                return None
        return [header] + record.sql_lines
    if record.expect == "count" and last.kind != "error":
        count = len(last.rows) if last.kind == "rows" else _tag_count(last.tag)
        return [f"statement count {count}"] + record.sql_lines
    return None


def complete_query(record, results):
    for result in results[:-1]:
        if result.kind == "error":
            raise Mismatch(f"expected rows, got {result.describe()}")
    last = results[-1]
    if last.kind != "rows":
        raise Mismatch(f"expected rows, got {last.describe()}")
    letters = "".join(type_letter(typname) for _, typname in last.columns)
    rows = [[render(value) for value in row] for row in last.rows]
    header = "query " + letters
    if record.sortmode != "nosort":
        header += " " + record.sortmode
    return [header] + record.sql_lines + ["----"] + result_lines(record.sortmode, rows)


def rewrite(slt, replacements):
    out = []
    index = 0
    while index < len(slt.lines):
        if index in replacements:
            record, new_lines = replacements[index]
            # Keep the conditions (onlyif/skipif) that precede the header.
            out.extend(slt.lines[record.start:record.line - 1])
            out.extend(new_lines)
            index = record.end
        else:
            out.append(slt.lines[index])
            index += 1
    slt.path.write_text("\n".join(out) + "\n", encoding="utf-8")


# -- shells ------------------------------------------------------------------------------------


class KbShellFactory:
    """kb_sql_shell over a fresh data and key directory per file."""

    def __init__(self, binary, timeout_seconds):
        self.binary = binary
        self.timeout_seconds = timeout_seconds

    def open(self, name):
        root = pathlib.Path(tempfile.mkdtemp(prefix="kb-slt-"))
        shell = Shell([self.binary, "--data-dir", root / "data", "--key-dir", root / "keys"],
                      timeout_seconds=self.timeout_seconds, name="kb_sql_shell")
        shell.cleanup = lambda: shutil.rmtree(root, ignore_errors=True)
        return shell

    def close(self):
        pass


class PgShellFactory:
    """pg_shell.py over a fresh database (of one private server) per file."""

    def __init__(self, timeout_seconds):
        from pg_server import PgServer

        self.timeout_seconds = timeout_seconds
        self.server = PgServer()
        self.server.start()
        self.count = 0

    def open(self, name):
        self.count += 1
        database = f"slt_{self.count}"
        dsn = self.server.create_database(database)
        shell = Shell([sys.executable, HERE / "pg_shell.py", "--dsn", dsn],
                      timeout_seconds=self.timeout_seconds, name="pg_shell")
        shell.cleanup = lambda: self.server.drop_database(database)
        return shell

    def close(self):
        self.server.stop()


class CommandShellFactory:
    def __init__(self, argv, timeout_seconds):
        self.argv = argv
        self.timeout_seconds = timeout_seconds

    def open(self, name):
        shell = Shell(self.argv, timeout_seconds=self.timeout_seconds, name=self.argv[0])
        shell.cleanup = lambda: None
        return shell

    def close(self):
        pass


def collect(paths):
    files = []
    for path in paths:
        path = pathlib.Path(path)
        files.extend(sorted(path.glob("*.slt")) if path.is_dir() else [path])
    return files


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Runs sqllogictest files against a SQL shell (see the module docstring).")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--kb-shell", help="path of kb_sql_shell")
    target.add_argument("--pg", action="store_true", help="a private PostgreSQL 15")
    target.add_argument("--shell", help="any command speaking the shell protocol")
    parser.add_argument("--engine", choices=ENGINES,
                        help="engine name for onlyif/skipif/require (default: postgresql with "
                             "--pg, kimberlite otherwise)")
    parser.add_argument("--complete", action="store_true",
                        help="rewrite expected results from the engine's answers")
    parser.add_argument("--keep-going", action="store_true",
                        help="report every mismatch of a file, not only the first")
    parser.add_argument("--skip-missing", action="store_true",
                        help="exit 77 (skipped) when --kb-shell is empty or does not exist")
    parser.add_argument("--timeout", type=float, default=120,
                        help="seconds to wait for one frame's answer")
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("paths", nargs="+", help=".slt files or directories of them")
    args = parser.parse_args(argv)

    if args.kb_shell is not None and not (args.kb_shell and os.path.exists(args.kb_shell)):
        message = f"slt: kb_sql_shell not found ({args.kb_shell or 'not built'})"
        if args.skip_missing:
            print(message + ": skipped")
            return SKIP
        print(message)
        return 1
    engine = args.engine or ("postgresql" if args.pg else "kimberlite")
    try:
        files = [parse(path) for path in collect(args.paths)]
    except SltSyntaxError as error:
        print(f"slt: {error}")
        return 1
    if not files:
        print("slt: no .slt files")
        return 1

    if args.pg:
        factory = PgShellFactory(args.timeout)
    elif args.kb_shell:
        factory = KbShellFactory(args.kb_shell, args.timeout)
    else:
        import shlex

        factory = CommandShellFactory(shlex.split(args.shell), args.timeout)

    outcomes = []
    try:
        for slt in files:
            if any(required != engine for required in slt.require):
                outcomes.append(Outcome(slt.path, "skipped"))
                if args.verbose:
                    print(f"skip {slt.path} (requires {', '.join(slt.require)})")
                continue
            shell = factory.open(slt.path.name)
            try:
                shell.start()
                outcome = run_file(slt, shell, engine, complete=args.complete,
                                   keep_going=args.keep_going)
            finally:
                code = shell.close()
                shell.cleanup()
            if outcome.status == "passed" and code != 0:
                outcome.status = "failed"
                outcome.failures.append(
                    f"{slt.path}: the shell " + ("did not exit when its input ended"
                                                 if code is None else f"exited with code {code}"))
            outcomes.append(outcome)
            if outcome.status == "failed":
                print(f"FAIL {slt.path}")
                for failure in outcome.failures:
                    print(_indent(failure))
            elif args.verbose:
                print(f"ok   {slt.path} ({outcome.records_run} records)")
    finally:
        factory.close()

    passed = sum(o.status == "passed" for o in outcomes)
    failed = sum(o.status == "failed" for o in outcomes)
    skipped = sum(o.status == "skipped" for o in outcomes)
    records = sum(o.records_run for o in outcomes)
    print(f"slt ({engine}): {passed} files passed, {failed} failed, {skipped} skipped; "
          f"{records} records run")
    return 1 if failed else 0


def _indent(text):
    return "\n".join("    " + line for line in text.split("\n"))


if __name__ == "__main__":
    sys.exit(main())
