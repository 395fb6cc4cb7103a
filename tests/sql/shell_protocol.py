"""The SQL shell protocol, client side: drive `kb_sql_shell` (or tests/sql/pg_shell.py, which
speaks the same protocol for PostgreSQL) through its stdin and stdout.

Protocol (line-oriented, UTF-8):

    input   one SQL string per frame: its lines, then a line holding only `\\.`
            (backslash-dot). A frame holding only `\\restart` makes the shell close the
            database and reopen it (its output, if any, is ignored: the client follows it with
            a `SELECT` of a marker and waits for that marker's rows). A frame whose first
            line is `\\bind`, alone or followed by a tab and the parameter values
            (tab-separated, escaped as ROW values are, NULL as \\N), runs the rest of the
            frame — one statement — as a prepared statement of the extended protocol: Parse
            with no declared types (so $n are inferred), Bind with the values in text format,
            Execute. Its output is that one statement's.
    output  for each statement of the frame, in order, one of
              OK <command tag>                        e.g. "OK INSERT 0 3", "OK CREATE TABLE"
              ROWS <ncols>                            then one line per column:
              COL <name> <type>                       type: PostgreSQL's name (int4, numeric,
                                                      "double precision", ... all accepted)
              ROW <v1>\\t<v2>...                       one line per row; values in PostgreSQL's
                                                      text format, NULL as \\N; backslash, tab,
                                                      newline, carriage return escaped as
                                                      \\\\ \\t \\n \\r
              END <nrows>
              ERROR <sqlstate> <message>              and the rest of the frame is skipped

The output has no end-of-frame marker, so the client counts the statements of each frame itself
(split_statements: the lexical rules PostgreSQL uses to split a query string) and reads that
many results, or up to the first ERROR.
"""
import dataclasses
import os
import re
import selectors
import subprocess
import tempfile
import time

# -- values ------------------------------------------------------------------------------------

NULL_TEXT = "\\N"


def escape_value(text):
    """A value as the protocol carries it (None is NULL)."""
    if text is None:
        return NULL_TEXT
    return (text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
            .replace("\r", "\\r"))


def unescape_value(text):
    """Inverse of escape_value (None for NULL)."""
    if text == NULL_TEXT:
        return None
    out = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            following = text[index + 1]
            out.append({"t": "\t", "n": "\n", "r": "\r", "\\": "\\"}.get(following,
                                                                           "\\" + following))
            index += 2
        else:
            out.append(char)
            index += 1
    return "".join(out)


# -- types -------------------------------------------------------------------------------------

# Every spelling of the types, mapped to PostgreSQL's pg_type.typname.
_TYPE_ALIASES = {
    "smallint": "int2", "int2": "int2",
    "integer": "int4", "int": "int4", "int4": "int4",
    "bigint": "int8", "int8": "int8",
    "real": "float4", "float4": "float4",
    "double precision": "float8", "float8": "float8", "double": "float8",
    "numeric": "numeric", "decimal": "numeric",
    "text": "text",
    "varchar": "varchar", "character varying": "varchar",
    "char": "bpchar", "character": "bpchar", "bpchar": "bpchar",
    "boolean": "bool", "bool": "bool",
    "bytea": "bytea",
    "date": "date",
    "timestamp": "timestamp", "timestamp without time zone": "timestamp",
    "timestamptz": "timestamptz", "timestamp with time zone": "timestamptz",
    "interval": "interval",
    "uuid": "uuid",
    "jsonb": "jsonb", "json": "json",
    "unknown": "unknown", "name": "name", "oid": "oid",
}
INTEGER_TYPES = {"int2", "int4", "int8"}
REAL_TYPES = {"float4", "float8", "numeric"}

_COL_LINE = re.compile(
    r"^(?P<name>.*?) (?P<type>(?:timestamp|time)(?:\(\d+\))? with(?:out)? time zone"
    r"|double precision|character varying(?:\(\d+\))?|bit varying(?:\(\d+\))?|[^ ]+)$")


def normalize_type(name):
    """PostgreSQL's typname for any spelling ("double precision", "INTEGER", "numeric(10,2)")."""
    base = re.sub(r"\(.*?\)", "", name.strip().lower()).strip()
    base = re.sub(r"\s+", " ", base)
    return _TYPE_ALIASES.get(base, base)


def type_letter(typname):
    """The sqllogictest letter of a type: I integer, R float or numeric, T anything else."""
    if typname in INTEGER_TYPES:
        return "I"
    if typname in REAL_TYPES:
        return "R"
    return "T"


# -- statements --------------------------------------------------------------------------------

_IDENT_CHAR = re.compile(r"[A-Za-z0-9_$\x80-\U0010ffff]")
_DOLLAR_TAG = re.compile(r"\$([A-Za-z_\x80-\U0010ffff][A-Za-z0-9_\x80-\U0010ffff]*)?\$")


def split_statements(sql):
    """The non-empty statements of a query string, split at top-level semicolons the way
    PostgreSQL's lexer sees them: quotes ('', E'', "", $tag$), -- and nested /* */ comments.
    Statements holding only comments and blanks are dropped."""
    statements = []
    start = 0
    meaningful = False  # the current statement has a token other than comments
    index = 0
    length = len(sql)
    while index < length:
        char = sql[index]
        if char == "-" and sql.startswith("--", index):
            end = sql.find("\n", index)
            index = length if end < 0 else end + 1
            continue
        if char == "/" and sql.startswith("/*", index):
            depth = 1
            index += 2
            while index < length and depth:
                if sql.startswith("/*", index):
                    depth += 1
                    index += 2
                elif sql.startswith("*/", index):
                    depth -= 1
                    index += 2
                else:
                    index += 1
            continue
        if char == ";":
            if meaningful:
                statements.append(sql[start:index].strip())
            start = index + 1
            meaningful = False
            index += 1
            continue
        if char.isspace():
            index += 1
            continue
        meaningful = True
        if char == "'":
            backslashes = index > 0 and sql[index - 1] in "eE" and (
                index < 2 or not _IDENT_CHAR.match(sql[index - 2]))
            index = _skip_quoted(sql, index, "'", backslashes)
            continue
        if char == '"':
            index = _skip_quoted(sql, index, '"', False)
            continue
        if char == "$" and not (index > 0 and _IDENT_CHAR.match(sql[index - 1])):
            tag = _DOLLAR_TAG.match(sql, index)
            if tag:
                end = sql.find(tag.group(0), tag.end())
                index = length if end < 0 else end + len(tag.group(0))
                continue
        index += 1
    if meaningful:
        statements.append(sql[start:].strip())
    return statements


def _skip_quoted(sql, index, quote, backslashes):
    index += 1
    while index < len(sql):
        char = sql[index]
        if backslashes and char == "\\":
            index += 2
            continue
        if char == quote:
            if sql.startswith(quote * 2, index):
                index += 2
                continue
            return index + 1
        index += 1
    return index


# -- results -----------------------------------------------------------------------------------


@dataclasses.dataclass
class Result:
    kind: str  # "ok", "rows" or "error"
    tag: str = ""  # ok: the command tag
    columns: list = dataclasses.field(default_factory=list)  # rows: [(name, typname)]
    raw_types: list = dataclasses.field(default_factory=list)  # rows: types as the shell said
    rows: list = dataclasses.field(default_factory=list)  # rows: [[escaped value or None]]
    sqlstate: str = ""  # error
    message: str = ""  # error

    def describe(self):
        if self.kind == "ok":
            return f"OK {self.tag}"
        if self.kind == "error":
            return f"ERROR {self.sqlstate} {self.message}"
        return f"ROWS {len(self.columns)} ({len(self.rows)} rows)"

    def protocol_lines(self):
        """The result as the shell printed it (escaped values)."""
        if self.kind != "rows":
            return [self.describe()]
        lines = [f"ROWS {len(self.columns)}"]
        lines += [f"COL {name} {typname}" for name, typname in self.columns]
        lines += ["ROW " + "\t".join(NULL_TEXT if v is None else v for v in row)
                  for row in self.rows]
        lines.append(f"END {len(self.rows)}")
        return lines


class ShellError(RuntimeError):
    """The shell broke the protocol, died or hung."""


class Shell:
    """One shell process. `run(sql)` sends a frame and returns its results."""

    def __init__(self, argv, *, env=None, cwd=None, timeout_seconds=120, name="shell"):
        self.argv = [str(part) for part in argv]
        self.env = env
        self.cwd = cwd
        self.timeout_seconds = timeout_seconds
        self.name = name
        self.process = None
        self._buffer = b""

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()

    def start(self):
        self._stderr = tempfile.TemporaryFile()
        self.process = subprocess.Popen(self.argv, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=self._stderr,
                                        env=self.env, cwd=self.cwd)
        self._buffer = b""
        self._selector = selectors.DefaultSelector()
        self._selector.register(self.process.stdout, selectors.EVENT_READ)

    def close(self):
        """Closes stdin and waits; the exit code (None if it had to be killed)."""
        if self.process is None:
            return 0
        process, self.process = self.process, None
        code = None
        try:
            process.stdin.close()
        except OSError:
            pass
        try:
            code = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        self._selector.close()
        process.stdout.close()
        return code

    def stderr_tail(self, lines=20):
        self._stderr.seek(0)
        text = self._stderr.read().decode("utf-8", "replace")
        return "\n".join(text.splitlines()[-lines:])

    def run(self, sql):
        """Runs one frame; one Result per statement executed (the last may be an error)."""
        statements = split_statements(sql)
        if not statements:
            raise ValueError("a frame needs at least one statement")
        self._send(sql)
        results = []
        while len(results) < len(statements):
            result = self._read_result()
            results.append(result)
            if result.kind == "error":
                break
        return results

    def run_bound(self, sql, values):
        """Runs one statement prepared, with parameter values (strings, None for NULL) in text
        format (the `\\bind` frame); a list of its one Result."""
        header = "\\bind" + "".join("\t" + escape_value(value) for value in values)
        self._send(header + "\n" + sql)
        return [self._read_result()]

    def restart(self):
        """Closes and reopens the database (the `\\restart` frame)."""
        self._send("\\restart")
        marker = "kb restart done"
        self._send(f"SELECT '{marker}' AS marker")
        while True:
            line = self._read_line()
            if line.startswith("ERROR "):
                raise ShellError(f"{self.name}: restart failed: {line}")
            if line == "ROWS 1":
                result = self._read_rows(1)
                if result.rows != [[marker]]:
                    raise ShellError(f"{self.name}: unexpected result after restart: "
                                     f"{result.protocol_lines()}")
                return

    # -- protocol --------------------------------------------------------------------------

    def _send(self, sql):
        if any(line == "\\." for line in sql.split("\n")):
            raise ValueError("a frame cannot hold a line '\\.'")
        data = (sql.rstrip("\n") + "\n\\.\n").encode()
        try:
            self.process.stdin.write(data)
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            raise ShellError(self._died("while sending a frame"))

    def _died(self, when):
        code = self.process.poll()
        if code is None:
            try:
                code = self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                code = "still running"
        return f"{self.name} exited ({code}) {when}; stderr:\n{self.stderr_tail()}"

    def _read_line(self):
        deadline = time.monotonic() + self.timeout_seconds
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._selector.select(remaining):
                raise ShellError(f"{self.name}: no answer within {self.timeout_seconds} s; "
                                 f"stderr:\n{self.stderr_tail()}")
            chunk = os.read(self.process.stdout.fileno(), 1 << 16)
            if not chunk:
                raise ShellError(self._died("while a frame was running"))
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line.decode("utf-8", "replace")

    def _read_result(self):
        line = self._read_line()
        if line.startswith("OK"):
            return Result("ok", tag=line[3:])
        if line.startswith("ERROR "):
            parts = line.split(" ", 2)
            return Result("error", sqlstate=parts[1], message=parts[2] if len(parts) > 2 else "")
        if line.startswith("ROWS "):
            try:
                ncols = int(line[5:])
            except ValueError:
                raise ShellError(f"{self.name}: bad line {line!r}")
            return self._read_rows(ncols)
        raise ShellError(f"{self.name}: unexpected line {line!r}; stderr:\n{self.stderr_tail()}")

    def _read_rows(self, ncols):
        result = Result("rows")
        for _ in range(ncols):
            line = self._read_line()
            match = _COL_LINE.match(line[4:]) if line.startswith("COL ") else None
            if not match:
                raise ShellError(f"{self.name}: expected a COL line, got {line!r}")
            result.columns.append((match.group("name"), normalize_type(match.group("type"))))
            result.raw_types.append(match.group("type"))
        while True:
            line = self._read_line()
            if line == "ROW" or line.startswith("ROW "):
                values = line[4:].split("\t") if ncols else []
                if len(values) != ncols:
                    raise ShellError(f"{self.name}: row with {len(values)} values, "
                                     f"{ncols} columns: {line!r}")
                result.rows.append([None if v == NULL_TEXT else v for v in values])
            elif line.startswith("END "):
                if line[4:] != str(len(result.rows)):
                    raise ShellError(f"{self.name}: {line!r} after {len(result.rows)} rows")
                return result
            else:
                raise ShellError(f"{self.name}: expected ROW or END, got {line!r}")
