#!/usr/bin/python3
"""pg_shell.py: the SQL shell protocol (tests/sql/shell_protocol.py) in front of PostgreSQL.

It lets the SQL tests run unchanged against the reference server: slt.py --pg validates and
completes the .slt files with it, and differential.py compares kb_sql_shell with it.

    pg_shell.py --dsn "host=127.0.0.1 port=5433 user=postgres dbname=t"

Each frame goes to the server as one simple-protocol Query message (as psql -c sends a
multi-statement string), and each result is printed as it arrives: values come straight from
the server's text format, untouched by any client-side conversion. `\\restart` closes the
connection and opens a new one (session state is lost, data stays). A `\\bind` frame goes as
Parse (no parameter types: the server infers them), Bind (the values in text format), Execute.
"""
import argparse
import sys

from psycopg import pq

sys.path.insert(0, __import__("os").path.dirname(__file__))
from pg_server import SESSION_OPTIONS  # noqa: E402
from shell_protocol import escape_value, unescape_value  # noqa: E402


# Deliberate misbehaviour, for testing the tests (differential.py --pg-vs-pg --fault ...): each
# imitates a bug an engine could have.
FAULTS = {
    "drop-row": "results with 3 or more rows lose their last row",
    "numeric-scale": "numeric values lose trailing zeros after the point",
    "sqlstate": "unique violations are reported as 23000",
    "float-digits": "double precision values are printed with 15 significant digits",
    "crash": "the shell dies (exit code 3) on the first DELETE",
}


class PgShell:
    def __init__(self, dsn, fault=None, options=""):
        self.dsn = dsn
        self.fault = fault
        self.options = options
        self.connection = None
        self.type_names = {}

    def connect(self):
        conninfo = (f"{self.dsn} options='{SESSION_OPTIONS} {self.options}' "
                    "client_encoding=UTF8")
        self.connection = pq.PGconn.connect(conninfo.encode())
        if self.connection.status != pq.ConnStatus.OK:
            raise SystemExit(f"pg_shell: cannot connect: "
                             f"{self.connection.error_message.decode(errors='replace')}")
        if not self.type_names:
            result = self.connection.exec_(b"SELECT oid, typname FROM pg_type")
            for row in range(result.ntuples):
                self.type_names[int(result.get_value(row, 0))] = \
                    result.get_value(row, 1).decode()

    def close(self):
        if self.connection is not None:
            self.connection.finish()
            self.connection = None

    def run(self, sql, out):
        self.connection.send_query(sql.encode())
        pending = []
        while (result := self.connection.get_result()) is not None:
            pending.append(result)
        for result in pending:
            self._print(result, out)
        out.flush()

    def run_bound(self, frame, out):
        header, _, sql = frame.partition("\n")
        values = [] if header == "\\bind" else header.split("\t")[1:]
        params = [None if value == "\\N" else unescape_value(value).encode()
                  for value in values]
        self._print(self.connection.exec_params(sql.encode(), params), out)
        out.flush()

    def _type_name(self, oid):
        if oid not in self.type_names:
            found = self.connection.exec_(f"SELECT typname FROM pg_type WHERE oid = {oid}"
                                          .encode())
            self.type_names[oid] = (found.get_value(0, 0).decode() if found.ntuples
                                    else f"oid{oid}")
        return self.type_names[oid]

    def _print(self, result, out):
        status = result.status
        if status == pq.ExecStatus.COMMAND_OK:
            out.write(f"OK {result.command_status.decode()}\n")
        elif status == pq.ExecStatus.TUPLES_OK:
            out.write(f"ROWS {result.nfields}\n")
            for column in range(result.nfields):
                name = escape_value(result.fname(column).decode())
                out.write(f"COL {name} {self._type_name(result.ftype(column))}\n")
            rows = result.ntuples
            if self.fault == "drop-row" and rows >= 3:
                rows -= 1
            for row in range(rows):
                values = []
                for column in range(result.nfields):
                    value = result.get_value(row, column)
                    text = None if value is None else value.decode()
                    text = self._faulty(self._type_name(result.ftype(column)), text)
                    values.append(escape_value(text))
                out.write("ROW " + "\t".join(values) + "\n")
            out.write(f"END {rows}\n")
        elif status == pq.ExecStatus.EMPTY_QUERY:
            pass
        elif status in (pq.ExecStatus.FATAL_ERROR, pq.ExecStatus.NONFATAL_ERROR):
            code = result.error_field(pq.DiagnosticField.SQLSTATE) or b"XX000"
            if self.fault == "sqlstate" and code == b"23505":
                code = b"23000"
            message = result.error_field(pq.DiagnosticField.MESSAGE_PRIMARY) or \
                result.error_message
            out.write(f"ERROR {code.decode()} {escape_value(message.decode().strip())}\n")
        else:
            out.write(f"ERROR 0A000 pg_shell: result status {status.name} is not supported\n")


    def _faulty(self, typname, text):
        if text is None or self.fault is None:
            return text
        if self.fault == "numeric-scale" and typname == "numeric" and "." in text:
            return text.rstrip("0").rstrip(".")
        if self.fault == "float-digits" and typname == "float8":
            try:
                return f"{float(text):.15g}"
            except ValueError:
                return text
        return text


def read_frames(stream):
    lines = []
    for raw in stream:
        line = raw.rstrip("\n")
        if line == "\\.":
            yield "\n".join(lines)
            lines = []
        else:
            lines.append(line)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dsn", required=True, help="libpq connection string")
    parser.add_argument("--fault", choices=sorted(FAULTS),
                        help="misbehave on purpose (tests of the tests): " +
                        "; ".join(f"{k}: {v}" for k, v in FAULTS.items()))
    parser.add_argument("--options", default="",
                        help="more server settings for the session (\"-c name=value ...\")")
    args = parser.parse_args()
    stdin = open(sys.stdin.fileno(), encoding="utf-8", errors="surrogateescape", newline="\n")
    stdout = open(sys.stdout.fileno(), "w", encoding="utf-8", errors="surrogateescape",
                  newline="\n")
    shell = PgShell(args.dsn, args.fault, args.options)
    shell.connect()
    try:
        for frame in read_frames(stdin):
            if args.fault == "crash" and frame.lstrip().upper().startswith("DELETE"):
                sys.exit(3)
            if frame.strip() == "\\restart":
                shell.close()
                shell.connect()
                continue
            if frame == "\\bind" or frame.startswith(("\\bind\t", "\\bind\n")):
                shell.run_bound(frame, stdout)
                continue
            shell.run(frame, stdout)
    finally:
        shell.close()


if __name__ == "__main__":
    main()
