"""The model and the literals of the SQL generator (tests/sql/sqlgen.py): types and their
categories, the schema model (Column, Table), generated statements (Statement), and random
literal values of every type of issue 5 as SQL text.

Values come in one spelling per value where PostgreSQL could print two equal values two ways
(see sqlgen.py): unconstrained numeric columns keep one scale, no -0, intervals in a single
form, whole numbers in JSON.
"""
import dataclasses
import json

# -- types -------------------------------------------------------------------------------------

# kind -> category (what expressions of it can do)
CATEGORY = {
    "int2": "int", "int4": "int", "int8": "int",
    "float4": "float", "float8": "float",
    "numeric": "num",
    "text": "text", "varchar": "text", "bpchar": "text",
    "bool": "bool", "bytea": "bytea", "date": "date", "timestamp": "ts",
    "timestamptz": "tstz", "interval": "interval", "uuid": "uuid", "jsonb": "jsonb",
}
ORDERABLE = {"int", "float", "num", "text", "bool", "bytea", "date", "ts", "tstz", "interval",
             "uuid"}
KEY_KINDS = ["int2", "int4", "int8", "text", "varchar", "numeric", "date", "timestamp", "uuid",
             "bytea", "bpchar", "timestamptz", "bool"]
ALL_KINDS = list(CATEGORY)
INT_LIMITS = {"int2": 32767, "int4": 2147483647, "int8": 9223372036854775807}

TEXT_POOL = ["", " ", "a", "A", "b", "ab", "abc", "Abc", "abc ", "a_b", "50%", "o'k", "é", "ß",
             "Ünï", "日本", "🦀", "back\\slash", "tab\there", "line\nbreak", "zzz", "Zebra",
             "hello world", "  padded  "]
JSON_KEYS = ["a", "b", "aa", "k", "z", "key", "ü"]


@dataclasses.dataclass
class Column:
    name: str
    kind: str
    length: int = 0  # varchar/bpchar
    precision: int = 0  # numeric(p,s); 0: unconstrained
    scale: int = 0  # numeric scale (also the fixed scale of an unconstrained column's values)
    not_null: bool = False
    unique: bool = False
    check: str = ""
    default: str = ""
    references: tuple = ()  # (table, column) for a foreign key

    @property
    def category(self):
        return CATEGORY[self.kind]

    def type_sql(self):
        if self.kind == "varchar":
            return f"varchar({self.length})"
        if self.kind == "bpchar":
            return f"char({self.length})"
        if self.kind == "numeric":
            return f"numeric({self.precision},{self.scale})" if self.precision else "numeric"
        return {"int2": "smallint", "int4": "integer", "int8": "bigint", "float4": "real",
                "float8": "double precision", "bool": "boolean"}.get(self.kind, self.kind)


@dataclasses.dataclass
class Table:
    name: str
    columns: list
    pk: list  # column names
    on_delete: str = ""  # for the foreign key of this table, if any
    indexes: list = dataclasses.field(default_factory=list)  # [(name, [cols], unique)]
    key_pool: list = dataclasses.field(default_factory=list)  # [tuple of pk literals]

    def column(self, name):
        return next(c for c in self.columns if c.name == name)

    def unique_targets(self):
        """Column lists that can be an ON CONFLICT target."""
        targets = [self.pk]
        targets += [[c.name] for c in self.columns if c.unique]
        targets += [cols for _, cols, unique in self.indexes if unique]
        return targets


@dataclasses.dataclass
class Statement:
    sql: str
    kind: str  # select, insert, update, delete, ddl, txn, restart
    ordered: bool = False  # rows must come in this order
    approx: list = dataclasses.field(default_factory=list)  # output columns compared loosely
    unordered_agg: list = dataclasses.field(default_factory=list)  # string_agg columns (',')
    order_dependent: bool = False  # an error may hit one engine and not the other
    risks: set = dataclasses.field(default_factory=set)  # SQLSTATEs the expressions may raise
    ddl_apply: object = None  # callable updating the model when the reference succeeded


class Expr:
    __slots__ = ("sql", "has_col")

    def __init__(self, sql, has_col):
        self.sql = sql
        self.has_col = has_col


# -- literals ----------------------------------------------------------------------------------


def sql_text(value):
    """A SQL string literal for any text (E'' form when it holds control characters)."""
    if any(ch in value for ch in "\t\n\r"):
        escaped = (value.replace("\\", "\\\\").replace("'", "\\'").replace("\t", "\\t")
                   .replace("\n", "\\n").replace("\r", "\\r"))
        return f"E'{escaped}'"
    return "'" + value.replace("'", "''") + "'"


class Values:
    """Literal values of each kind, as SQL text (untyped, for assignment to a column)."""

    def __init__(self, rng):
        self.rng = rng

    def for_column(self, column, *, allow_null=True, small_domain=False):
        rng = self.rng
        if allow_null and not column.not_null and rng.random() < 0.12:
            return "NULL"
        if column.not_null and rng.random() < 0.01:
            return "NULL"  # 23502 now and then
        return self.of_kind(column.kind, column=column, small_domain=small_domain)

    def of_kind(self, kind, *, column=None, small_domain=False, safe=False):
        rng = self.rng
        if kind in INT_LIMITS:
            limit = INT_LIMITS[kind]
            if safe:
                return str(rng.randint(1, 20))
            if small_domain or rng.random() < 0.6:
                return str(rng.randint(-3, 30))
            choice = rng.random()
            if choice < 0.3:
                return str(rng.choice([limit, -limit - 1, limit - 1, -limit, 0, 1, -1]))
            if choice < 0.33:
                return str(limit + 1)  # out of range: 22003
            return str(rng.randint(-limit - 1, limit))
        if kind == "numeric":
            precision = column.precision if column else 0
            scale = column.scale if column else rng.randint(0, 4)
            if safe:
                return self._decimal(rng.randint(1, 999), scale or 1)
            if not precision and rng.random() < 0.04:
                return rng.choice(["'NaN'", "'Infinity'", "'-Infinity'"])
            if small_domain:
                return self._decimal(rng.randint(-5, 40), scale)
            digits_before = (precision - scale) if precision else rng.randint(1, 25)
            if precision and rng.random() < 0.03:
                digits_before += 1  # overflow: 22003
            value_scale = scale
            if precision and rng.random() < 0.2:
                value_scale = scale + rng.randint(1, 3)  # rounds on storage
            digits = rng.randint(0, max(1, digits_before))
            magnitude = rng.randint(0, 10 ** digits - 1) if digits else 0
            number = magnitude * 10 ** value_scale + rng.randint(0, 10 ** value_scale - 1)
            if rng.random() < 0.3:
                number = -number
            return self._decimal(number, value_scale, raw=True)
        if kind in ("float4", "float8"):
            if safe:
                return rng.choice(["0.5", "1.5", "2", "0.25", "3"])
            choice = rng.random()
            if choice < 0.08:
                return rng.choice(["'NaN'", "'Infinity'", "'-Infinity'"])
            if choice < 0.2:
                if kind == "float4":
                    return rng.choice(["3.4e38", "1e-45", "1.17549435e-38", "0.1", "16777217"])
                return rng.choice(["1e308", "-1.7976931348623157e308", "5e-324", "0.1",
                                   "9007199254740993", "2.2250738585072014e-308"])
            if small_domain or choice < 0.6:
                return rng.choice(["0", "1", "-1", "0.5", "1.5", "-2.25", "10", "0.1", "100.125"])
            mantissa = rng.uniform(-1000, 1000)
            exponent = rng.choice([0, 0, 0, 5, -5, 12, -12, 30])
            text = f"{mantissa:.6g}e{exponent}" if exponent else f"{mantissa:.9g}"
            return "0" if text.startswith("-0") and float(text) == 0 else text
        if kind in ("text", "varchar", "bpchar"):
            if safe:
                return sql_text(rng.choice(["a", "b", "x"]))
            pool = TEXT_POOL[:8] if small_domain else TEXT_POOL
            value = rng.choice(pool)
            if not small_domain and rng.random() < 0.15:
                value = "".join(rng.choice("abcxyzé日 _%") for _ in range(rng.randint(1, 12)))
            if column is not None and column.length:
                if rng.random() < 0.9:
                    value = value[:column.length]  # else: too long (22001) unless blanks
            return sql_text(value)
        if kind == "bool":
            return rng.choice(["true", "false", "'t'", "'f'", "'yes'", "'off'"])
        if kind == "bytea":
            length = rng.randint(0, 2) if small_domain else rng.randint(0, 6)
            return "'\\x" + "".join(f"{rng.randint(0, 255):02x}" for _ in range(length)) + "'"
        if kind == "date":
            return sql_text(self.date_text(small_domain))
        if kind == "timestamp":
            return sql_text(self.timestamp_text(small_domain))
        if kind == "timestamptz":
            text = self.timestamp_text(small_domain)
            if "infinity" not in text and " BC" not in text:
                text += rng.choice(["+00", "Z", "-08", "+05:30", "+01", " UTC", "-03:30"])
            return sql_text(text)
        if kind == "interval":
            return sql_text(self.interval_text(small_domain))
        if kind == "uuid":
            if small_domain:
                raw = f"{rng.randint(0, 5):032x}"
            else:
                raw = f"{rng.getrandbits(128):032x}"
            text = f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"
            style = rng.random()
            if style < 0.1:
                text = text.upper()
            elif style < 0.15:
                text = "{" + text + "}"
            elif style < 0.2:
                text = raw
            return sql_text(text)
        if kind == "jsonb":
            return sql_text(json.dumps(self.json_value(2), ensure_ascii=rng.random() < 0.5))
        raise ValueError(kind)

    def _decimal(self, number, scale, raw=False):
        sign = "-" if number < 0 else ""
        digits = str(abs(number)).rjust(scale + 1, "0")
        if scale:
            return f"{sign}{digits[:-scale]}.{digits[-scale:]}"
        return f"{sign}{digits}"

    def date_text(self, small_domain=False):
        rng = self.rng
        if small_domain:
            return f"2024-01-{rng.randint(1, 9):02d}"
        if rng.random() < 0.06:
            return rng.choice(["infinity", "-infinity", "0001-01-01", "2000-02-29",
                               "1999-12-31", "0044-03-15 BC", "9999-12-31"])
        return f"{rng.randint(1900, 2100):04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"

    def timestamp_text(self, small_domain=False):
        rng = self.rng
        date = self.date_text(small_domain)
        if "infinity" in date:
            return date
        if " BC" in date:
            return date.replace(" BC", " 12:00:00 BC")
        text = f"{date} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
        if rng.random() < 0.3:
            text += "." + str(rng.randint(0, 999999)).rjust(6, "0")[:rng.randint(1, 6)]
        return text

    def interval_text(self, small_domain=False):
        rng = self.rng
        if small_domain:
            return f"{rng.randint(0, 3)} days"
        sign = -1 if rng.random() < 0.25 else 1
        years, months, days = rng.randint(0, 3), rng.randint(0, 11), rng.randint(0, 29)
        hours, minutes, seconds = rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)
        parts = []
        if years and rng.random() < 0.5:
            parts.append(f"{sign * years} years")
        if months and rng.random() < 0.5:
            parts.append(f"{sign * months} mons")
        if days and rng.random() < 0.6:
            parts.append(f"{sign * days} days")
        if rng.random() < 0.6:
            clock = f"{hours:02d}:{minutes:02d}:{seconds:02d}"
            if rng.random() < 0.2:
                clock += f".{rng.randint(1, 999999):06d}".rstrip("0")
            parts.append(("-" if sign < 0 else "") + clock)
        return " ".join(parts) or "0"

    def json_value(self, depth):
        rng = self.rng
        choice = rng.random()
        if depth <= 0 or choice < 0.5:
            return rng.choice([0, 1, -7, 42, 123456789012, "s", "", "é", "q\"uote", "back\\",
                               True, False, None, "line\nbreak"])
        if choice < 0.75:
            return [self.json_value(depth - 1) for _ in range(rng.randint(0, 3))]
        return {rng.choice(JSON_KEYS): self.json_value(depth - 1)
                for _ in range(rng.randint(0, 3))}
