"""A private PostgreSQL 15 server for the SQL tests: started in /tmp, stopped afterwards.

The server is the reference the SQL layer is checked against (tests/sql/slt.py --pg,
tests/sql/differential.py). It is made small and fast on purpose: a free port on 127.0.0.1, a
socket directory of its own, `-E UTF8 --locale=C` (so text sorts by code point, as Kimberlite
sorts it), no fsync, no autovacuum, no parallel workers (the test machines have two cores).
initdb and postgres refuse to run as root, so when we are root they run as the `postgres` user
through `runuser`.

    with PgServer() as server:
        dsn = server.create_database("t1")

Environment: KB_PG_BIN overrides the binary directory (default /usr/lib/postgresql/15/bin).
"""
import contextlib
import os
import pathlib
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile

PG_BIN = pathlib.Path(os.environ.get("KB_PG_BIN", "/usr/lib/postgresql/15/bin"))

# Session settings every connection of the tests uses: the output formats Kimberlite promises
# (ISO dates, UTC, PostgreSQL interval style, default float digits) and quiet notices.
SESSION_OPTIONS = ("-c TimeZone=UTC -c DateStyle=ISO,MDY -c IntervalStyle=postgres "
                   "-c extra_float_digits=1 -c client_min_messages=warning "
                   "-c bytea_output=hex")


class PgUnavailable(RuntimeError):
    """PostgreSQL is not installed (or cannot run here): callers may skip."""


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PgServer:
    """One postgres process over a fresh data directory; `stop()` removes everything."""

    def __init__(self, *, log_statements=False):
        self.log_statements = log_statements
        self.root = None
        self.port = None
        self.process_started = False

    # -- life cycle ------------------------------------------------------------------------

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        if not (PG_BIN / "initdb").exists():
            raise PgUnavailable(f"PostgreSQL binaries not found in {PG_BIN}")
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                raise PgUnavailable("running as root but there is no `postgres` user")
        self.root = pathlib.Path(tempfile.mkdtemp(prefix="kb-pg-", dir="/tmp"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        if self._as_postgres:
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
        os.chmod(self.root, 0o755)
        _install_signal_cleanup(self)
        self._run([PG_BIN / "initdb", "-D", self.data, "-E", "UTF8", "--locale=C", "-A", "trust",
                   "-U", "postgres", "--no-sync", "--no-instructions"], what="initdb")
        last_error = None
        for _ in range(5):  # another process may take the free port between probe and bind
            self.port = _free_port()
            options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                       "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                       "-c shared_buffers=16MB -c max_connections=30 -c autovacuum=off "
                       "-c jit=off -c max_parallel_workers_per_gather=0 "
                       "-c max_worker_processes=2 -c wal_level=minimal -c max_wal_senders=0 "
                       "-c checkpoint_timeout=1h -c max_wal_size=1GB")
            if self.log_statements:
                options += " -c log_statement=all"
            try:
                self._run([PG_BIN / "pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60",
                           "-o", options, "start"], what="pg_ctl start")
                self.process_started = True
                return
            except RuntimeError as error:
                last_error = error
        raise last_error

    def stop(self):
        if self.root is None:
            return
        if self.process_started:
            with contextlib.suppress(Exception):
                self._run([PG_BIN / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "-t",
                           "30", "stop"], what="pg_ctl stop")
            self.process_started = False
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None

    # -- use -------------------------------------------------------------------------------

    def dsn(self, dbname="postgres"):
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={dbname}"

    def create_database(self, name):
        """Creates an empty database `name` (dropping one of that name first); its DSN."""
        import psycopg  # only the fixture's users need psycopg installed

        with psycopg.connect(self.dsn(), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            connection.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 '
                               "ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'")
        return self.dsn(name)

    def drop_database(self, name):
        import psycopg

        with psycopg.connect(self.dsn(), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def restart(self):
        """Stops and starts the server over the same data (a real reopen)."""
        self._run([PG_BIN / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "-t", "60",
                   "restart"], what="pg_ctl restart")

    def log_tail(self, lines=30):
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""

    # -- helpers ---------------------------------------------------------------------------

    def _run(self, argv, *, what):
        argv = [str(part) for part in argv]
        if self._as_postgres:
            argv = ["runuser", "-u", "postgres", "--"] + argv
        result = subprocess.run(argv, capture_output=True, text=True, cwd="/tmp", timeout=180)
        if result.returncode != 0:
            tail = self.log_tail() if self.log is not None else ""
            raise RuntimeError(f"{what} failed ({result.returncode}): {result.stderr.strip()}"
                               f"\n{result.stdout.strip()}\n{tail}")
        return result


_servers = []


def _install_signal_cleanup(server):
    """CTest kills a test that runs past its timeout with SIGTERM: stop our servers then."""
    _servers.append(server)
    if len(_servers) > 1:
        return

    def handler(signum, frame):
        for each in list(_servers):
            with contextlib.suppress(Exception):
                each.stop()
        raise SystemExit(128 + signum)

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        with contextlib.suppress(ValueError):  # not the main thread
            signal.signal(signum, handler)

