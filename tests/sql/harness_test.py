"""Tests of the SQL test harness itself: the protocol client, the sqllogictest runner (slt.py)
and the differential test's comparison (differential.py), so that a bug in the engine cannot
hide behind a bug in the tests.

Most tests drive a scripted fake shell (canned answers per statement). The last ones start a
private PostgreSQL and check that the differential test finds nothing when both sides are
PostgreSQL, and does find (and shrinks) a planted fault.
"""
import json
import pathlib
import subprocess
import sys
import textwrap

import pytest

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import differential  # noqa: E402
import slt  # noqa: E402
from shell_protocol import (Result, Shell, escape_value, split_statements,  # noqa: E402
                            unescape_value)
from sqlgen import Generator  # noqa: E402
from sqlgen_values import Statement  # noqa: E402

FAKE_SHELL = textwrap.dedent('''
    import json, sys
    answers = json.load(open(sys.argv[1]))
    lines = []
    for raw in sys.stdin:
        line = raw.rstrip("\\n")
        if line != "\\\\.":
            lines.append(line)
            continue
        frame = "\\n".join(lines)
        lines = []
        if frame == "\\\\restart":
            print("OK RESTART")
        elif frame.startswith("SELECT 'kb restart done'"):
            print("ROWS 1\\nCOL marker text\\nROW kb restart done\\nEND 1")
        else:
            for statement in [s.strip() for s in frame.split(";") if s.strip()]:
                out = answers.get(statement, ["ERROR 42601 no canned answer"])
                print("\\n".join(out))
                if out[0].startswith("ERROR"):
                    break
        sys.stdout.flush()
''')


@pytest.fixture
def fake_shell(tmp_path):
    """argv of a shell answering from `answers` (a dict SQL -> output lines)."""
    script = tmp_path / "fake_shell.py"
    script.write_text(FAKE_SHELL)

    def make(answers):
        path = tmp_path / "answers.json"
        path.write_text(json.dumps(answers))
        return f"{sys.executable} {script} {path}"
    return make


ANSWERS = {
    "CREATE TABLE t (a int PRIMARY KEY, b text)": ["OK CREATE TABLE"],
    "INSERT INTO t VALUES (1, 'x'), (2, NULL), (3, '')": ["OK INSERT 0 3"],
    "INSERT INTO t VALUES (1, 'dup')": [
        'ERROR 23505 duplicate key value violates unique constraint "t_pkey"'],
    "SELECT a, b FROM t ORDER BY a": [
        "ROWS 2", "COL a int4", "COL b text", "ROW 1\tx", "ROW 2\t\\N", "ROW 3\t", "END 3"],
    "SELECT b, a FROM t": [
        "ROWS 2", "COL b text", "COL a int4", "ROW \\N\t2", "ROW x\t1", "ROW \t3", "END 3"],
    "SELECT 'tab\\there'": ["ROWS 1", "COL ?column? text", "ROW tab\\there", "END 1"],
    "SELECT 1.5": ["ROWS 1", "COL ?column? numeric", "ROW 1.5", "END 1"],
    "EXPLAIN SELECT * FROM t WHERE a = 1": [
        "ROWS 1", "COL QUERY PLAN text", "ROW Limit", "ROW   Index Scan using t_pkey on t",
        "END 2"],
}


def write(tmp_path, text, name="case.slt"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def run_slt(tmp_path, shell, text, *extra):
    path = write(tmp_path, text)
    return slt.main(["--shell", shell, *extra, str(path)]), path


GOOD = """
    statement ok
    CREATE TABLE t (a int PRIMARY KEY, b text)

    statement count 3
    INSERT INTO t VALUES (1, 'x'), (2, NULL), (3, '')

    statement error 23505 duplicate key value violates unique constraint "t_pkey"
    INSERT INTO t VALUES (1, 'dup')

    query IT
    SELECT a, b FROM t ORDER BY a
    ----
    1\tx
    2\tNULL
    3\t(empty)

    query TI rowsort
    SELECT b, a FROM t
    ----
    (empty)\t3
    NULL\t2
    x\t1

    query TI valuesort
    SELECT b, a FROM t
    ----
    1
    2
    3
    (empty)
    NULL
    x

    restart

    query IT
    SELECT a, b FROM t ORDER BY a
    ----
    1
    x
    2
    NULL
    3
    (empty)

    query T
    SELECT 'tab\\there'
    ----
    tab\\there
"""


def test_a_correct_file_passes(tmp_path, fake_shell, capsys):
    code, _ = run_slt(tmp_path, fake_shell(ANSWERS), GOOD)
    assert code == 0, capsys.readouterr().out


@pytest.mark.parametrize("old, new, message", [
    ("3\t(empty)", "3\tz", "wrong result"),
    ("2\tNULL\n3\t(empty)", "2\t(empty)\n3\tNULL", "wrong result"),
    ("statement error 23505 duplicate", "statement error 23514 duplicate", "SQLSTATE 23514"),
    ('"t_pkey"', '"t_key"', "message matching"),
    ("statement count 3", "statement count 2", "expected 2 rows"),
    ("query IT\nSELECT a, b FROM t ORDER BY a\n----\n1\tx",
     "query II\nSELECT a, b FROM t ORDER BY a\n----\n1\tx", "not a type of letter I"),
    ("query TI rowsort", "query TIT rowsort", "expected 3 columns"),
    ("statement ok\nCREATE TABLE", "statement error\nCREATE TABLE", "expected an error"),
    ("----\ntab\\there", "----\ntab\\\\there", "wrong result"),  # a tab is not "\\t"
])
def test_each_kind_of_mismatch_is_reported_with_its_line(tmp_path, fake_shell, capsys, old, new,
                                                         message):
    text = textwrap.dedent(GOOD).lstrip()
    assert old in text
    code, path = run_slt(tmp_path, fake_shell(ANSWERS), text.replace(old, new, 1))
    out = capsys.readouterr().out
    assert code == 1
    assert message in out
    assert f"{path}:" in out


def test_complete_rewrites_expected_results(tmp_path, fake_shell):
    text = """
        statement ok
        CREATE TABLE t (a int PRIMARY KEY, b text)

        statement count 0
        INSERT INTO t VALUES (1, 'x'), (2, NULL), (3, '')

        statement error
        INSERT INTO t VALUES (1, 'dup')

        # comments stay
        query
        SELECT a, b FROM t ORDER BY a

        query rowsort
        SELECT b, a FROM t
        ----
        stale
    """
    code, path = run_slt(tmp_path, fake_shell(ANSWERS), text, "--complete")
    assert code == 0
    assert path.read_text() == textwrap.dedent("""\
        statement ok
        CREATE TABLE t (a int PRIMARY KEY, b text)

        statement count 3
        INSERT INTO t VALUES (1, 'x'), (2, NULL), (3, '')

        statement error 23505
        INSERT INTO t VALUES (1, 'dup')

        # comments stay
        query IT
        SELECT a, b FROM t ORDER BY a
        ----
        1\tx
        2\tNULL
        3\t(empty)

        query TI rowsort
        SELECT b, a FROM t
        ----
        (empty)\t3
        NULL\t2
        x\t1
    """)
    # And the completed file passes as it is.
    assert slt.main(["--shell", fake_shell(ANSWERS), str(path)]) == 0


def test_conditions_and_require(tmp_path, fake_shell, capsys):
    shell = fake_shell(ANSWERS)
    conditional = """
        onlyif postgresql
        statement ok
        SELECT no canned answer

        skipif kimberlite
        statement ok
        SELECT no canned answer either

        statement ok
        SELECT 1.5
    """
    assert run_slt(tmp_path, shell, conditional)[0] == 0
    assert run_slt(tmp_path, shell, conditional, "--engine", "postgresql")[0] == 1
    required = "require postgresql\n\nstatement ok\nSELECT nothing canned\n"
    assert run_slt(tmp_path, shell, required)[0] == 0
    assert "1 skipped" in capsys.readouterr().out


def test_regex_results(tmp_path, fake_shell, capsys):
    shell = fake_shell(ANSWERS)
    base = "query T regex\nEXPLAIN SELECT * FROM t WHERE a = 1\n----\n"
    assert run_slt(tmp_path, shell, base + "(?i)limit\nt_pkey\n!(?i)sort\n")[0] == 0
    assert run_slt(tmp_path, shell, base + "t_pkey\n(?i)limit\n")[0] == 1  # order matters
    assert run_slt(tmp_path, shell, base + "!Index Scan\n")[0] == 1
    assert "matches /Index Scan/" in capsys.readouterr().out


def test_capture_substitutes_values(tmp_path, fake_shell):
    answers = dict(ANSWERS)
    answers["SELECT 41"] = ["ROWS 1", "COL n int4", "ROW 41", "END 1"]
    answers["SELECT 41 + 1"] = ["ROWS 1", "COL n int4", "ROW 42", "END 1"]
    text = "capture n\nSELECT 41\n\nquery I\nSELECT ${n} + 1\n----\n42\n"
    assert run_slt(tmp_path, fake_shell(answers), text)[0] == 0


def test_a_dying_shell_is_reported(tmp_path):
    path = write(tmp_path, "statement ok\nSELECT 1\n")
    shell = f"{sys.executable} -c 'import sys; sys.stdin.readline(); sys.exit(3)'"
    assert slt.main(["--shell", shell, str(path)]) == 1


def test_missing_kb_shell_skips(tmp_path):
    path = write(tmp_path, "statement ok\nSELECT 1\n")
    assert slt.main(["--kb-shell", "", "--skip-missing", str(path)]) == slt.SKIP
    assert slt.main(["--kb-shell", str(tmp_path / "nope"), str(path)]) == 1
    assert differential.main(["--kb-shell", "", "--skip-missing"]) == differential.SKIP


def test_syntax_errors_name_the_line(tmp_path, capsys):
    path = write(tmp_path, "statement ok\nSELECT 1\n\nquery X\nSELECT 2\n")
    assert slt.main(["--shell", "true", str(path)]) == 1
    assert f"{path}:4:" in capsys.readouterr().out


# -- protocol pieces -----------------------------------------------------------------------------


@pytest.mark.parametrize("sql, count", [
    ("SELECT 1", 1),
    ("SELECT 1;", 1),
    ("SELECT 1; SELECT 2", 2),
    ("SELECT ';'; SELECT 2", 2),
    ("SELECT 'it''s;'", 1),
    ("SELECT E'\\';'; SELECT 1", 2),
    ("SELECT $$;$$; SELECT $x$ $$ ; $x$", 2),
    ("SELECT \"a;b\" FROM t", 1),
    ("-- only a comment;", 0),
    ("SELECT 1 -- ; not a statement\n; SELECT 2", 2),
    ("/* ; /* nested ; */ still ; */ SELECT 1", 1),
    ("SELECT $1; SELECT a$b$ FROM t", 2),
    (";;", 0),
])
def test_split_statements(sql, count):
    assert len(split_statements(sql)) == count


def test_escaping_round_trips():
    for text in ["", "plain", "tab\there", "a\\b", "line\nbreak\r", "\\N", "\\t literally"]:
        escaped = escape_value(text)
        assert "\t" not in escaped and "\n" not in escaped
        assert unescape_value(escaped) == text
    assert escape_value(None) == "\\N" and unescape_value("\\N") is None


def test_column_types_in_any_spelling(tmp_path, fake_shell):
    answers = {"SELECT x": ["ROWS 3", "COL my col double precision",
                            "COL t timestamp with time zone", "COL n numeric(10,2)",
                            "ROW 1\t2\t3", "END 1"]}
    with Shell(fake_shell(answers).split()) as shell:
        result = shell.run("SELECT x")[0]
    assert result.columns == [("my col", "float8"), ("t", "timestamptz"), ("n", "numeric")]


# -- the differential comparison -----------------------------------------------------------------


def rows(columns, *values):
    return Result("rows", columns=columns, rows=[list(v) for v in values])


def test_compare_orders_and_multisets():
    cols = [("a", "int4"), ("b", "text")]
    one = rows(cols, ("1", "x"), ("2", None))
    swapped = rows(cols, ("2", None), ("1", "x"))
    unordered = Statement("SELECT", "select")
    ordered = Statement("SELECT", "select", ordered=True)
    assert differential.compare(unordered, one, swapped) is None
    assert differential.compare(ordered, one, swapped)[0] == "hard"
    assert differential.compare(unordered, one, rows(cols, ("1", "x"), ("2", "")))[0] == "hard"
    assert differential.compare(unordered, one, rows(cols, ("1", "x")))[0] == "hard"
    renamed = rows([("a", "int4"), ("c", "text")], ("1", "x"), ("2", None))
    assert differential.compare(unordered, one, renamed)[0] == "hard"
    assert differential.compare(unordered, one, renamed, compare_names=False) is None
    retyped = rows([("a", "int8"), ("b", "text")], ("1", "x"), ("2", None))
    assert "type" in differential.compare(unordered, one, retyped)[1]


def test_compare_approximate_and_unordered_aggregates():
    cols = [("s", "float8"), ("g", "text")]
    statement = Statement("SELECT", "select", approx=[0], unordered_agg=[1])
    left = rows(cols, ("0.30000000000000004", "a,b,c"), ("NaN", None))
    right = rows(cols, ("0.3", "c,a,b"), ("NaN", None))
    assert differential.compare(statement, left, right) is None
    assert differential.compare(statement, left, rows(cols, ("0.31", "a,b,c"),
                                                      ("NaN", None)))[0] == "tolerated"
    assert differential.compare(statement, left, rows(cols, ("NaN", "a,b,c"),
                                                      ("NaN", None)))[0] == "hard"
    assert differential.compare(statement, left, rows(cols, ("0.3", "a,b,c"),
                                                      ("Infinity", None)))[0] == "hard"
    assert differential.compare(statement, left, rows(cols, ("0.3", "a,b"),
                                                      ("NaN", None)))[0] == "hard"


def test_compare_errors():
    error = lambda code: Result("error", sqlstate=code, message="m")  # noqa: E731
    ok = Result("ok", tag="UPDATE 1")
    read = Statement("SELECT", "select")
    assert differential.compare(read, error("22012"), error("22012")) is None
    assert differential.compare(read, error("22012"), error("22003"))[0] == "hard"
    assert differential.compare(read, error("22012"), ok)[0] == "hard"
    risky = Statement("SELECT", "select", order_dependent=True, risks={"22012", "22003"})
    assert differential.compare(risky, error("22012"), ok)[0] == "tolerated"
    assert differential.compare(risky, error("22012"), error("22003"))[0] == "tolerated"
    assert differential.compare(risky, error("42883"), ok)[0] == "hard"
    write = Statement("INSERT", "insert")
    assert differential.compare(write, error("23505"), error("23502"))[0] == "tolerated"
    assert differential.compare(write, error("23505"), error("23000"))[0] == "hard"
    assert differential.compare(write, ok, Result("ok", tag="UPDATE 2"))[0] == "hard"


def test_generation_is_a_function_of_the_seed():
    def sample(seed):
        generator = Generator(differential.random.Random(seed))
        out = [s.sql for s in generator.schema() + generator.initial_data()]
        for _ in range(200):
            statement = generator.next()
            generator.observe(statement, "ok")
            out.append(statement.sql)
        return out
    assert sample(3) == sample(3)
    assert sample(3) != sample(4)


# -- against PostgreSQL --------------------------------------------------------------------------


def differential_run(*args):
    return subprocess.run([sys.executable, HERE / "differential.py", "--pg-vs-pg", *args],
                          capture_output=True, text=True, timeout=600)


def test_postgresql_against_itself_agrees():
    result = differential_run("--seed", "1", "--statements", "600")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no divergence" in result.stdout


@pytest.mark.parametrize("fault", ["drop-row", "numeric-scale", "sqlstate", "float-digits",
                                   "crash"])
def test_a_planted_fault_is_found_and_shrunk(tmp_path, fault):
    repro = tmp_path / "repro.sql"
    result = differential_run("--seed", "5", "--statements", "3000", "--fault", fault,
                              "--minimize-seconds", "60", "--repro-out", str(repro))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "DIVERGENCE" in result.stdout
    script = repro.read_text()
    statements = [line for line in script.splitlines() if line and not line.startswith("--")]
    assert 1 <= len(statements) <= 6, script
    if fault == "crash":
        assert "failed" in result.stdout and statements[-1].startswith("DELETE")
    else:
        assert statements[0].startswith("CREATE TABLE")
