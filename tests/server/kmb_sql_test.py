"""End-to-end: `kmb sql`, `kmb tenant` and `kmb user` against a real `kmb server`.

Run by CTest (label e2e) with KMB pointing at the binary. The shell is driven through -c, -f,
stdin scripts and a pseudo-terminal; outputs are compared with what psql prints for the same
results; exit statuses: 0 ok, 1 a statement failed, 2 usage / connection.
"""
import json
import os
import pty
import select
import subprocess
import time
import uuid

import pytest

from kmb_server import ADMIN_PASSWORD, KMB, KmbServer


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = KmbServer(str(tmp_path_factory.mktemp("kmb"))).start()
    yield running
    running.stop()


def kmb(server, *args, password=ADMIN_PASSWORD, stdin=None, env=None, user=None, tenant=None,
        timeout=60):
    """Runs `kmb ARGS --server ...`; returns the CompletedProcess (text)."""
    command = [KMB] + list(args) + ["--server", f"127.0.0.1:{server.port}"]
    if user is not None:
        command += ["--user", user]
    if tenant is not None:
        command += ["--tenant", tenant]
    full_env = {key: value for key, value in os.environ.items()
                if key not in ("KMB_PASSWORD", "KMB_NEW_PASSWORD")}
    if password is not None:
        full_env["KMB_PASSWORD"] = password
    full_env.update(env or {})
    return subprocess.run(command, input=stdin, capture_output=True, text=True, env=full_env,
                          timeout=timeout,
                          stdin=None if stdin is not None else subprocess.DEVNULL)


def sql(server, *items, **kwargs):
    """`kmb sql -c ITEM ...`; items starting with "--" are options instead (--tls and --tls-ca
    take the next item as their value)."""
    args = ["sql"]
    items = list(items)
    while items:
        item = items.pop(0)
        if item in ("--tls", "--tls-ca"):
            args += [item, items.pop(0)]
        elif item.startswith("--"):
            args.append(item)
        else:
            args += ["-c", item]
    return kmb(server, *args, **kwargs)


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def unique(prefix):
    return prefix + uuid.uuid4().hex[:8]


def test_dash_c_prints_aligned_tables_and_tags_like_psql(server):
    table = unique("items_")
    done = sql(server,
               f"CREATE TABLE {table} (id int PRIMARY KEY, name text, price numeric, ok boolean,"
               " note text)",
               f"INSERT INTO {table} VALUES (1, 'héllo wörld', 1.5, true, e'a\\nbc'), "
               "(22, NULL, -3, false, 'x')",
               f"SELECT * FROM {table} ORDER BY id")
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        "CREATE TABLE\n"
        "INSERT 0 2\n"
        " id |    name     | price | ok | note \n"
        "----+-------------+-------+----+------\n"
        "  1 | héllo wörld |   1.5 | t  | a   +\n"
        "    |             |       |    | bc\n"
        " 22 |             |    -3 | f  | x\n"
        "(2 rows)\n"
        "\n")
    # One -c with several statements shows every result (as psql 15).
    both = sql(server, "SELECT 1 AS a; SELECT 'x' AS bb")
    assert both.returncode == 0, both.stderr
    assert both.stdout == (" a \n---\n 1\n(1 row)\n\n bb \n----\n x\n(1 row)\n\n")


def test_errors_are_printed_like_psql_with_exit_1(server):
    table = unique("dup_")
    assert sql(server, f"CREATE TABLE {table} (id int PRIMARY KEY)",
               f"INSERT INTO {table} VALUES (1)").returncode == 0
    failed = sql(server, f"INSERT INTO {table} VALUES (1)", "SELECT 'not reached'")
    assert failed.returncode == 1
    assert failed.stdout == ""
    assert failed.stderr.startswith(
        f'ERROR:  duplicate key value violates unique constraint "{table}_pkey"\n'
        "DETAIL:  Key (id)=(1) already exists.\n")
    missing = sql(server, "SELECT *\n  FROM nope_nothing")
    assert missing.returncode == 1
    assert missing.stderr == ('ERROR:  relation "nope_nothing" does not exist\n'
                              "LINE 2:   FROM nope_nothing\n"
                              "               ^\n")


def test_file_scripts_stop_at_the_first_error(server, tmp_path):
    table = unique("script_")
    script = tmp_path / "script.sql"
    script.write_text(
        "-- a script\n"
        f"CREATE TABLE {table} (id int PRIMARY KEY, body text);\n"
        f"INSERT INTO {table} VALUES (1, 'semi; colon'), (2, $$dollar; 'quoted'$$);\n"
        "\n"
        f"INSERT INTO {table}\n"
        "  VALUES (3, nope);\n"
        f"INSERT INTO {table} VALUES (4, 'after the error');\n")
    failed = kmb(server, "sql", "-f", str(script))
    assert failed.returncode == 1
    assert failed.stdout == "CREATE TABLE\nINSERT 0 2\n"
    assert failed.stderr == (f'{script}:5: ERROR:  column "nope" does not exist\n'
                             "LINE 2:   VALUES (3, nope);\n" +
                             " " * len("LINE 2:   VALUES (3, ") + "^\n")
    rows = sql(server, f"SELECT id, body FROM {table} ORDER BY id", "--json")
    assert json_lines(rows.stdout)[0]["rows"] == [[1, "semi; colon"], [2, "dollar; 'quoted'"]]

    # --keep-going runs the rest and still exits 1.
    table2 = unique("keep_")
    script.write_text(f"CREATE TABLE {table2} (id int PRIMARY KEY);\nSELECT 1/0;\n"
                      f"INSERT INTO {table2} VALUES (7);\n")
    kept = kmb(server, "sql", "--keep-going", "-f", str(script))
    assert kept.returncode == 1
    assert "ERROR:  division by zero" in kept.stderr
    assert kept.stdout.endswith("INSERT 0 1\n")

    # -c and -f run in the order given.
    ordered = kmb(server, "sql", "-c", "SELECT 'first' AS x", "-f", str(tmp_path / "none.sql"),
                  "-c", "SELECT 'never' AS x")
    assert ordered.returncode == 2
    assert "first" in ordered.stdout and "never" not in ordered.stdout
    assert "cannot open" in ordered.stderr and "none.sql" in ordered.stderr


def test_scripts_on_stdin_with_quotes_comments_and_no_final_semicolon(server):
    table = unique("stdin_")
    script = (
        f"CREATE TABLE {table} (id int PRIMARY KEY, t text);\n"
        "/* a block comment; with a semicolon */\n"
        f"INSERT INTO {table} VALUES (1, 'a;b'), -- trailing comment;\n"
        "  (2, E'it\\'s;'), (3, $tag$ $$; $tag$);\n"
        "\\echo between statements\n"
        f"SELECT count(*) FROM {table}\n")
    done = sql(server, stdin=script)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ("CREATE TABLE\nINSERT 0 3\nbetween statements\n"
                           " count \n-------\n     3\n(1 row)\n\n")
    values = sql(server, f"SELECT t FROM {table} ORDER BY id", "--json")
    assert json_lines(values.stdout)[0]["rows"] == [["a;b"], ["it's;"], [" $$; "]]

    failed = sql(server, stdin="SELECT 1;\nSELECT nope;\nSELECT 2;\n")
    assert failed.returncode == 1
    assert failed.stderr.startswith('<stdin>:2: ERROR:  column "nope" does not exist')
    assert "2" not in failed.stdout.replace("(1 row)", "")


def test_json_output_is_one_object_per_statement(server):
    table = unique("json_")
    done = sql(server, f"CREATE TABLE {table} (id bigint PRIMARY KEY, ok boolean, x float8, "
                       "n numeric, t text)",
               f"INSERT INTO {table} VALUES (9007199254740993, true, 2.5, 1.10, 'x'), "
               "(2, NULL, NULL, NULL, NULL)",
               f"SELECT * FROM {table} ORDER BY id", "--json")
    assert done.returncode == 0, done.stderr
    created, inserted, selected = json_lines(done.stdout)
    assert created == {"columns": [], "types": [], "rows": [], "tag": "CREATE TABLE"}
    assert inserted["tag"] == "INSERT 0 2"
    assert selected["columns"] == ["id", "ok", "x", "n", "t"]
    assert selected["types"] == ["int8", "bool", "float8", "numeric", "text"]
    assert selected["rows"] == [[2, None, None, None, None],
                                [9007199254740993, True, 2.5, "1.10", "x"]]
    assert selected["tag"] == "SELECT 2"

    failed = sql(server, "SELECT 1 AS one", "SELECT * FROM nope_json", "--json")
    assert failed.returncode == 1
    ok, error = json_lines(failed.stdout)
    assert ok["rows"] == [[1]]
    assert error == {"error": {"severity": "ERROR", "sqlstate": "42P01",
                               "message": 'relation "nope_json" does not exist',
                               "position": 15},
                     "statement": "SELECT * FROM nope_json"}


def test_connection_failures_exit_2_with_clear_messages(server):
    wrong = sql(server, "SELECT 1", password="wrong password")
    assert wrong.returncode == 2
    assert 'password authentication failed for user "admin"' in wrong.stderr
    as_json = sql(server, "SELECT 1", "--json", password="wrong password")
    assert json_lines(as_json.stdout)[0]["error"]["sqlstate"] == "28P01"

    unknown = sql(server, "SELECT 1", "--json", tenant="no_such_tenant")
    assert unknown.returncode == 2
    assert json_lines(unknown.stdout)[0]["error"]["sqlstate"] == "3D000"
    assert "kmb tenant create" in unknown.stderr

    no_password = sql(server, "SELECT 1", password=None)
    assert no_password.returncode == 2
    assert "KMB_PASSWORD" in no_password.stderr

    # A port nobody listens on (bind one and close it).
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    refused = subprocess.run([KMB, "sql", "--server", f"127.0.0.1:{free_port}", "-c", "SELECT 1"],
                             capture_output=True, text=True, env=dict(os.environ, KMB_PASSWORD="x"),
                             stdin=subprocess.DEVNULL, timeout=30)
    assert refused.returncode == 2
    assert f"cannot connect to 127.0.0.1:{free_port}: Connection refused" in refused.stderr
    assert "is kmb server running?" in refused.stderr

    bad_usage = sql(server, "SELECT 1", "--tls", "sometimes")
    assert bad_usage.returncode == 2
    assert "require, prefer, disable" in bad_usage.stderr


def test_tls_modes_and_channel_binding(server, tmp_path):
    preferred = sql(server, "\\conninfo")
    assert preferred.returncode == 0, preferred.stderr
    assert "TLS TLSv1.3" in preferred.stdout and "SCRAM-SHA-256-PLUS" in preferred.stdout
    required = sql(server, "\\conninfo", "--tls", "require")
    assert "TLS TLSv1.3" in required.stdout
    plain = sql(server, "\\conninfo", "--tls", "disable")
    assert "no TLS" in plain.stdout and "SCRAM-SHA-256." in plain.stdout

    # Verified against the server's self-signed certificate (its SAN has 127.0.0.1) ...
    cert = os.path.join(server.data_dir, "tls", "server.crt")
    verified = sql(server, "SELECT 1 AS one", "--tls-ca", cert, "--tls", "require")
    assert verified.returncode == 0, verified.stderr
    # ... and refused against a certificate it was not signed by.
    other = tmp_path / "other.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(tmp_path / "other.key"),
                    "-out", str(other), "-subj", "/CN=other", "-days", "1"],
                   check=True, capture_output=True)
    refused = sql(server, "SELECT 1", "--tls-ca", str(other))
    assert refused.returncode == 2
    assert "TLS handshake" in refused.stderr and "certificate" in refused.stderr


def test_user_create_grant_and_log_in(server):
    name = unique("app_")
    table = unique("orders_")
    assert sql(server, f"CREATE TABLE {table} (id int PRIMARY KEY, item text)",
               f"INSERT INTO {table} VALUES (1, 'tea')").returncode == 0

    created = kmb(server, "user", "create", name, env={"KMB_NEW_PASSWORD": "app secret"})
    assert created.returncode == 0, created.stderr
    assert f'Created user "{name}"' in created.stdout
    again = kmb(server, "user", "create", name, "--json", env={"KMB_NEW_PASSWORD": "x"})
    assert again.returncode == 1
    assert json_lines(again.stdout)[0]["error"]["sqlstate"] == "42710"

    # No CONNECT yet: the login itself is refused.
    refused = sql(server, "SELECT 1", user=name, password="app secret", env={})
    assert refused.returncode == 2
    assert "permission denied" in refused.stderr

    granted = kmb(server, "user", "grant", name, "--tenant", "default", "--tables", table,
                  "--privileges", "select,insert", "--json")
    assert granted.returncode == 0, granted.stderr
    assert json_lines(granted.stdout)[0] == {
        "user": name, "tenant": "default", "granted": True, "connect": True,
        "privileges": ["SELECT", "INSERT"], "tables": [table]}

    as_user = sql(server, f"INSERT INTO {table} VALUES (2, 'milk')",
                  f"SELECT item FROM {table} ORDER BY id", "--json",
                  user=name, password="app secret")
    assert as_user.returncode == 0, as_user.stderr
    assert json_lines(as_user.stdout)[1]["rows"] == [["tea"], ["milk"]]
    denied = sql(server, f"DELETE FROM {table}", "--json", user=name, password="app secret")
    assert denied.returncode == 1
    assert json_lines(denied.stdout)[0]["error"]["sqlstate"] == "42501"
    wrong = sql(server, "SELECT 1", user=name, password="not it")
    assert wrong.returncode == 2

    revoked = kmb(server, "user", "revoke", name, "--tenant", "default", "--tables", table,
                  "--privileges", "insert")
    assert revoked.returncode == 0, revoked.stderr
    no_insert = sql(server, f"INSERT INTO {table} VALUES (3, 'x')", user=name,
                    password="app secret")
    assert no_insert.returncode == 1 and "permission denied" in no_insert.stderr

    listed = kmb(server, "user", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    users = {user["name"]: user for user in json_lines(listed.stdout)[0]["users"]}
    assert users["admin"] == {"name": "admin", "superuser": True, "login": True}
    assert users[name] == {"name": name, "superuser": False, "login": True}
    human = kmb(server, "user", "list")
    assert human.stdout.startswith("  user") or " user " in human.stdout.splitlines()[0]
    assert any(line.split("|")[0].strip() == name for line in human.stdout.splitlines())

    dropped = kmb(server, "user", "drop", name)
    # DROP ROLE of a role that still holds privileges may be refused (2BP01), as PostgreSQL.
    assert dropped.returncode in (0, 1), dropped.stderr


def test_user_create_password_from_stdin_and_superuser(server):
    name = unique("ops_")
    created = kmb(server, "user", "create", name, "--superuser", "--password-stdin",
                  stdin="from stdin\n")
    assert created.returncode == 0, created.stderr
    # A superuser needs no grant.
    who = sql(server, "SELECT current_user", "--json", user=name, password="from stdin")
    assert who.returncode == 0, who.stderr
    assert json_lines(who.stdout)[0]["rows"] == [[name]]

    no_password = kmb(server, "user", "create", unique("nopw_"))
    assert no_password.returncode == 2
    assert "--password-stdin" in no_password.stderr

    bad = kmb(server, "user", "grant", name, "--all", "--privileges", "select,launch")
    assert bad.returncode == 2 and "launch" in bad.stderr


def test_tenant_commands(server):
    listed = kmb(server, "tenant", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert "default" in json_lines(listed.stdout)[0]["tenants"]
    human = kmb(server, "tenant", "list")
    assert human.stdout.splitlines()[0].strip() == "tenant"
    assert " default" in human.stdout

    name = unique("shop_")
    created = kmb(server, "tenant", "create", name, "--json")
    if created.returncode == 1 and json_lines(created.stdout)[0]["error"]["sqlstate"] == "0A000":
        pytest.skip("this server does not support CREATE DATABASE yet")
    assert created.returncode == 0, created.stderr
    assert json_lines(created.stdout)[0] == {"tenant": name, "created": True}
    duplicate = kmb(server, "tenant", "create", name, "--json")
    assert duplicate.returncode == 1
    assert json_lines(duplicate.stdout)[0]["error"]["sqlstate"] == "42P04"

    inside = sql(server, "CREATE TABLE t (id int PRIMARY KEY)", "INSERT INTO t VALUES (1)",
                 "SELECT current_database()", "--json", tenant=name)
    assert inside.returncode == 0, inside.stderr
    assert json_lines(inside.stdout)[2]["rows"] == [[name]]
    assert name in json_lines(kmb(server, "tenant", "list", "--json", tenant=name).stdout)[0][
        "tenants"]
    # Every tenant the role may connect to is listed, from any tenant (the superuser: all).
    everywhere = json_lines(kmb(server, "tenant", "list", "--json").stdout)[0]["tenants"]
    assert "default" in everywhere and name in everywhere

    same = kmb(server, "tenant", "drop", name, tenant=name)
    assert same.returncode == 2 and "--tenant" in same.stderr
    dropped = kmb(server, "tenant", "drop", name)
    assert dropped.returncode == 0, dropped.stderr
    # A dropped tenant is no longer listed.
    assert name not in json_lines(kmb(server, "tenant", "list", "--json").stdout)[0]["tenants"]
    gone = sql(server, "SELECT 1", "--json", tenant=name)
    assert gone.returncode == 2
    assert json_lines(gone.stdout)[0]["error"]["sqlstate"] == "3D000"
    missing = kmb(server, "tenant", "drop", name, "--json")
    assert missing.returncode == 1
    assert json_lines(missing.stdout)[0]["error"]["sqlstate"] == "3D000"
    if_exists = kmb(server, "tenant", "drop", name, "--if-exists", "--json")
    assert if_exists.returncode == 0, if_exists.stderr
    assert json_lines(if_exists.stdout)[0] == {"tenant": name, "dropped": False}


def test_copy_from_script_lines_and_to_stdout(server):
    table = unique("copy_")
    script = (f"CREATE TABLE {table} (id int PRIMARY KEY, t text);\n"
              f"COPY {table} FROM STDIN;\n"
              "1\tone\n"
              "2\ttwo; not a statement\n"
              "\\.\n"
              f"COPY {table} TO STDOUT;\n"
              f"SELECT count(*) FROM {table};\n")
    done = sql(server, stdin=script)
    if done.returncode == 1 and "feature not supported: COPY" in done.stderr:
        pytest.skip("this server does not support COPY yet")
    assert done.returncode == 0, done.stderr
    assert done.stdout == ("CREATE TABLE\nCOPY 2\n1\tone\n2\ttwo; not a statement\nCOPY 2\n"
                           " count \n-------\n     2\n(1 row)\n\n")
    # -c takes the data from stdin.
    more = sql(server, f"COPY {table} FROM STDIN", stdin="3\tthree\n")
    assert more.returncode == 0, more.stderr
    assert more.stdout == "COPY 1\n"

    # A bad data line: the error names the statement's line (counting the data lines before
    # it) and the server's CONTEXT.
    bad = sql(server, stdin=f"COPY {table} FROM STDIN;\n4\tfour\n\\.\n\n"
                            f"COPY {table} FROM STDIN;\n5\tx\ty\n\\.\n")
    assert bad.returncode == 1
    assert bad.stdout == "COPY 1\n"
    assert bad.stderr.startswith("<stdin>:5: ERROR:  ")
    assert "\nCONTEXT:  COPY " in bad.stderr


def test_meta_commands_in_scripts(server):
    unknown = sql(server, stdin="SELECT 1;\n\\frobnicate\nSELECT 2;\n")
    assert unknown.returncode == 2
    assert "invalid command \\frobnicate" in unknown.stderr
    timed = sql(server, "\\timing on", "SELECT 1")
    assert timed.returncode == 0
    assert "Timing is on." in timed.stdout and "Time: " in timed.stdout
    quit_early = sql(server, stdin="SELECT 'one' AS x;\n\\q\nSELECT 'two' AS x;\n")
    assert quit_early.returncode == 0
    assert "one" in quit_early.stdout and "two" not in quit_early.stdout


@pytest.mark.parametrize("command", [["sql"], ["tenant"], ["tenant", "create"], ["user"],
                                     ["user", "create"], ["user", "grant"]])
def test_help_has_examples(command):
    shown = subprocess.run([KMB] + command + ["--help"], capture_output=True, text=True,
                           timeout=30)
    assert shown.returncode == 0
    assert "Example" in shown.stdout
    assert "--server" in shown.stdout or command == ["tenant"] or command == ["user"]


def run_on_terminal(server, lines, timeout=20):
    """Runs `kmb sql` on a pseudo-terminal, typing `lines` one at a time."""
    env = dict(os.environ, KMB_PASSWORD=ADMIN_PASSWORD, KMB_HISTORY=os.devnull, TERM="dumb")
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(KMB, [KMB, "sql", "--server", f"127.0.0.1:{server.port}"], env)
    output = b""

    def read_until(marker, deadline):
        nonlocal output
        while marker not in output and time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                try:
                    output += os.read(fd, 65536)
                except OSError:
                    return

    deadline = time.monotonic() + timeout
    for line in lines:
        read_until(b"> ", deadline)
        output_before = len(output)
        os.write(fd, line.encode() + b"\r")
        # Wait for the next prompt before typing on.
        while time.monotonic() < deadline and b"> " not in output[output_before + len(line):]:
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                try:
                    output += os.read(fd, 65536)
                except OSError:
                    break
            if line == "\\q":
                break
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return output.decode(errors="replace"), os.waitstatus_to_exitcode(status)


def test_interactive_shell_on_a_terminal(server):
    output, code = run_on_terminal(server, [
        "SELECT 1 AS a,", "'x;y' AS b", ";", "BEGIN;", "SELECT nope;", "ROLLBACK;",
        "\\timing", "SELECT 2 AS two;", "\\q"])
    assert code == 0, output
    assert "default=> " in output
    assert "default-> " in output  # continuation
    assert " a |  b  " in output and " 1 | x;y" in output
    assert "default=*> " in output  # inside a transaction
    assert 'ERROR:  column "nope" does not exist' in output
    assert "default=!> " in output  # the transaction failed
    assert "Timing is on." in output and "Time: " in output
