"""Typed random expressions over one table's columns, for the SQL generator (sqlgen.py).

ExprGen.gen(category, depth) returns an Expr of that category (int, num, float, text, bool,
date, ts, tstz, interval, uuid, jsonb, bytea) built from the issue's operators and functions.
It records which SQLSTATEs the expression can raise (`risks`) and whether one of them sits
under CASE, COALESCE, AND or OR (`order_dependent`: whether it is evaluated is then the
engine's choice). A subexpression without a column never fails: PostgreSQL folds constants at
plan time, even in branches that are never taken.
"""
from sqlgen_values import INT_LIMITS, JSON_KEYS, ORDERABLE, Expr, sql_text

# -- expressions -------------------------------------------------------------------------------


class ExprGen:
    """Typed random expressions over one table's columns."""

    def __init__(self, rng, values, table, alias=None):
        self.rng = rng
        self.values = values
        self.table = table
        self.prefix = f"{alias}." if alias else ""
        self.risks = set()
        self.conditional = 0
        self.order_dependent = False

    def columns_of(self, category):
        return [c for c in self.table.columns if c.category == category]

    def _risk(self, code):
        self.risks.add(code)
        if self.conditional:
            self.order_dependent = True

    def literal(self, category, safe=False):
        kind = {"int": self.rng.choice(["int4", "int4", "int8", "int2"]),
                "num": "numeric", "float": self.rng.choice(["float8", "float4"]),
                "text": "text", "bool": "bool", "bytea": "bytea", "date": "date",
                "ts": "timestamp", "tstz": "timestamptz", "interval": "interval",
                "uuid": "uuid", "jsonb": "jsonb"}[category]
        if self.rng.random() < 0.05 and not safe:
            return Expr(f"NULL::{_cast_name(kind)}", False)
        text = self.values.of_kind(kind, safe=safe, small_domain=not safe and
                                   self.rng.random() < 0.5)
        if kind == "int4" and not safe:
            # A literal's type follows its value: keep int4 literals in range.
            if abs(int(text)) > INT_LIMITS["int4"]:
                text = "7"
        if kind == "int8":
            # The cast binds tighter than a minus sign: -9223372036854775808::bigint fails.
            if abs(int(text)) > INT_LIMITS["int8"]:
                text = "5"
            return Expr(f"{text}::bigint", False)
        if kind == "int2":
            if abs(int(text)) > INT_LIMITS["int2"]:
                text = "3"
            return Expr(f"{text}::smallint", False)
        if kind == "numeric":
            return Expr(text if text[0] != "'" else f"{text}::numeric", False)
        if kind in ("float4", "float8", "date", "timestamp", "timestamptz", "interval", "uuid",
                    "jsonb", "bytea"):
            return Expr(f"{text}::{_cast_name(kind)}", False)
        if kind == "bool":
            return Expr(self.rng.choice(["true", "false"]), False)
        if text.startswith("-"):
            return Expr(f"({text})", False)
        return Expr(text, False)

    def column(self, category):
        candidates = self.columns_of(category)
        if not candidates:
            return None
        return Expr(self.prefix + self.rng.choice(candidates).name, True)

    def gen(self, category, depth=2):
        rng = self.rng
        if depth <= 0 or rng.random() < 0.35:
            found = self.column(category) if rng.random() < 0.75 else None
            return found or self.literal(category)
        builders = [self._generic]
        builders += {"int": [self._arith, self._arith, self._int_fn],
                     "num": [self._arith, self._arith, self._num_fn],
                     "float": [self._arith, self._float_fn],
                     "text": [self._text_fn, self._text_fn, self._to_text],
                     "bool": [self._predicate, self._predicate],
                     "date": [self._datetime_cast], "ts": [self._datetime_cast],
                     "tstz": [self._datetime_cast],
                     "jsonb": [self._json_fn]}.get(category, [])
        return rng.choice(builders)(category, depth)

    # Expressions of any category.
    def _generic(self, category, depth):
        rng = self.rng
        choice = rng.random()
        if choice < 0.35:
            self.conditional += 1
            condition = self.gen("bool", depth - 1)
            then = self.gen(category, depth - 1)
            otherwise = self.gen(category, depth - 1) if rng.random() < 0.8 else None
            self.conditional -= 1
            sql = f"CASE WHEN {condition.sql} THEN {then.sql}"
            sql += f" ELSE {otherwise.sql} END" if otherwise else " END"
            return Expr(sql, condition.has_col or then.has_col or
                        bool(otherwise and otherwise.has_col))
        if choice < 0.6:
            self.conditional += 1
            args = [self.gen(category, depth - 1) for _ in range(rng.randint(2, 3))]
            self.conditional -= 1
            return Expr(f"COALESCE({', '.join(a.sql for a in args)})",
                        any(a.has_col for a in args))
        if choice < 0.75:
            left, right = self.gen(category, depth - 1), self.gen(category, depth - 1)
            return Expr(f"NULLIF({left.sql}, {right.sql})", left.has_col or right.has_col)
        if category in ORDERABLE:
            args = [self.gen(category, depth - 1) for _ in range(rng.randint(2, 3))]
            name = rng.choice(["GREATEST", "LEAST"])
            return Expr(f"{name}({', '.join(a.sql for a in args)})",
                        any(a.has_col for a in args))
        return self.column(category) or self.literal(category)

    def _operand_categories(self, category):
        if category == "int":
            return "int", "int"
        if category == "num":
            return self.rng.choice([("num", "num"), ("int", "num"), ("num", "int")])
        return self.rng.choice([("float", "float"), ("float", "int"), ("num", "float"),
                                ("float", "num")])

    def _arith(self, category, depth):
        rng = self.rng
        left_cat, right_cat = self._operand_categories(category)
        left, right = self.gen(left_cat, depth - 1), self.gen(right_cat, depth - 1)
        if not (left.has_col or right.has_col):
            # Constant operands are folded at plan time: keep them from failing.
            left, right = self.literal(left_cat, safe=True), self.literal(right_cat, safe=True)
        operators = ["+", "-", "*", "/"] + (["%"] if category in ("int", "num") else [])
        operator = rng.choice(operators)
        if left.has_col or right.has_col:
            if operator in ("/", "%"):
                self._risk("22012")
            if category in ("int", "float") and operator != "%":
                self._risk("22003")
        return Expr(f"({left.sql} {operator} {right.sql})", left.has_col or right.has_col)

    def _int_fn(self, category, depth):
        rng = self.rng
        choice = rng.random()
        if choice < 0.25:
            text = self.gen("text", depth - 1)
            return Expr(f"{rng.choice(['length', 'char_length'])}({text.sql})", text.has_col)
        if choice < 0.4:
            haystack, needle = self.gen("text", depth - 1), self.literal("text", safe=True)
            return Expr(f"position({needle.sql} IN {haystack.sql})", haystack.has_col)
        inner = self.gen("int", depth - 1)
        if not inner.has_col:
            inner = self.literal("int", safe=True)
        if choice < 0.55:
            self._risk("22003") if inner.has_col else None
            return Expr(f"abs({inner.sql})", inner.has_col)
        if choice < 0.65:
            self._risk("22003") if inner.has_col else None
            return Expr(f"(- {inner.sql})", inner.has_col)
        if choice < 0.8:
            other = self.gen("int", depth - 1)
            if not (inner.has_col or other.has_col):
                other = self.literal("int", safe=True)
            self._risk("22012") if other.has_col else None
            return Expr(f"mod({inner.sql}, {other.sql})", inner.has_col or other.has_col)
        source = self.gen(rng.choice(["num", "float"]), depth - 1)
        if not source.has_col:
            source = self.literal("num", safe=True)
        else:
            self._risk("22003")
            self._risk("0A000")  # NaN and infinity have no integer
        target = rng.choice(["int", "bigint", "smallint"])
        return Expr(f"CAST({source.sql} AS {target})", source.has_col)

    def _num_fn(self, category, depth):
        rng = self.rng
        inner = self.gen("num", depth - 1)
        choice = rng.random()
        if choice < 0.3:
            return Expr(f"round({inner.sql}, {rng.randint(0, 3)})", inner.has_col)
        if choice < 0.5:
            return Expr(f"{rng.choice(['round', 'floor', 'ceil', 'abs'])}({inner.sql})",
                        inner.has_col)
        if choice < 0.7:
            source = self.gen("int", depth - 1)
            return Expr(f"CAST({source.sql} AS numeric)", source.has_col)
        return Expr(f"(- {inner.sql})", inner.has_col)

    def _float_fn(self, category, depth):
        rng = self.rng
        inner = self.gen("float", depth - 1)
        choice = rng.random()
        if choice < 0.4:
            return Expr(f"{rng.choice(['round', 'floor', 'ceil', 'abs'])}({inner.sql})",
                        inner.has_col)
        if choice < 0.7:
            source = self.gen(rng.choice(["int", "num"]), depth - 1)
            return Expr(f"CAST({source.sql} AS double precision)", source.has_col)
        return Expr(f"(- {inner.sql})", inner.has_col)

    def _text_fn(self, category, depth):
        rng = self.rng
        inner = self.gen("text", depth - 1)
        choice = rng.random()
        if choice < 0.2:
            other = self.gen("text", depth - 1) if rng.random() < 0.7 else \
                self.gen(rng.choice(["int", "num", "date"]), depth - 1)
            return Expr(f"({inner.sql} || {other.sql})", inner.has_col or other.has_col)
        if choice < 0.35:
            name = rng.choice(["lower", "upper", "trim", "ltrim", "rtrim", "btrim"])
            return Expr(f"{name}({inner.sql})", inner.has_col)
        if choice < 0.5:
            start = rng.randint(-1, 4)
            if rng.random() < 0.5:
                return Expr(f"substring({inner.sql} FROM {start} FOR {rng.randint(0, 4)})",
                            inner.has_col)
            return Expr(f"substring({inner.sql}, {start})", inner.has_col)
        if choice < 0.6:
            old, new = sql_text(rng.choice(["a", "b", " ", "é"])), sql_text(rng.choice(
                ["", "X", "yy"]))
            return Expr(f"replace({inner.sql}, {old}, {new})", inner.has_col)
        if choice < 0.75:
            args = [self.gen(rng.choice(["text", "text", "int", "bool"]), depth - 1)
                    for _ in range(rng.randint(1, 3))]
            return Expr(f"concat({', '.join(a.sql for a in args)})",
                        any(a.has_col for a in args))
        if choice < 0.85:
            chars = sql_text(rng.choice(["a", " x", "ab"]))
            name = rng.choice(["trim(BOTH {c} FROM {e})", "trim(LEADING {c} FROM {e})",
                               "ltrim({e}, {c})", "rtrim({e}, {c})"])
            return Expr(name.format(c=chars, e=inner.sql), inner.has_col)
        json_column = self.column("jsonb")
        if json_column:
            return Expr(f"({json_column.sql} ->> {sql_text(rng.choice(JSON_KEYS))})", True)
        return inner

    def _to_text(self, category, depth):
        source_category = self.rng.choice(["int", "num", "float", "bool", "date", "ts", "tstz",
                                           "interval", "uuid", "jsonb", "bytea", "text"])
        source = self.gen(source_category, depth - 1)
        if self.rng.random() < 0.5:
            return Expr(f"CAST({source.sql} AS text)", source.has_col)
        return Expr(f"({source.sql})::text", source.has_col)

    def _datetime_cast(self, category, depth):
        source_category = self.rng.choice(["date", "ts", "tstz"])
        source = self.gen(source_category, depth - 1)
        target = {"date": "date", "ts": "timestamp", "tstz": "timestamptz"}[category]
        return Expr(f"CAST({source.sql} AS {target})", source.has_col)

    def _json_fn(self, category, depth):
        inner = self.gen("jsonb", depth - 1)
        if self.rng.random() < 0.5:
            return Expr(f"({inner.sql} -> {sql_text(self.rng.choice(JSON_KEYS))})",
                        inner.has_col)
        return Expr(f"({inner.sql} -> {self.rng.randint(-2, 3)})", inner.has_col)

    def _predicate(self, category, depth):
        rng = self.rng
        choice = rng.random()
        if choice < 0.3:
            cat = rng.choice(["int", "int", "num", "float", "text", "text", "date", "ts", "tstz",
                              "interval", "uuid", "bool", "bytea", "jsonb"])
            cat = self._mixable(cat)
            left = self.gen(cat, depth - 1)
            other_cat = self._compatible(cat)
            right = self.gen(other_cat, depth - 1)
            operators = ["=", "<>"] if "jsonb" in (cat, other_cat) else \
                ["=", "<>", "<", "<=", ">", ">=", "!="]
            return Expr(f"({left.sql} {rng.choice(operators)} {right.sql})",
                        left.has_col or right.has_col)
        if choice < 0.45:
            self.conditional += 1
            left, right = self.gen("bool", depth - 1), self.gen("bool", depth - 1)
            self.conditional -= 1
            return Expr(f"({left.sql} {rng.choice(['AND', 'OR'])} {right.sql})",
                        left.has_col or right.has_col)
        if choice < 0.5:
            inner = self.gen("bool", depth - 1)
            return Expr(f"(NOT {inner.sql})", inner.has_col)
        if choice < 0.6:
            cat = rng.choice(["int", "text", "num", "date", "bool", "jsonb", "float"])
            inner = self.gen(cat, depth - 1)
            test = rng.choice(["IS NULL", "IS NOT NULL"])
            if cat == "bool":
                test = rng.choice(["IS NULL", "IS NOT NULL", "IS TRUE", "IS NOT FALSE",
                                   "IS UNKNOWN"])
            return Expr(f"({inner.sql} {test})", inner.has_col)
        if choice < 0.7:
            cat = rng.choice(["int", "text", "num", "date", "uuid", "float"])
            left, right = self.gen(cat, depth - 1), self.gen(cat, depth - 1)
            negate = rng.choice(["", "NOT "])
            return Expr(f"({left.sql} IS {negate}DISTINCT FROM {right.sql})",
                        left.has_col or right.has_col)
        if choice < 0.8:
            cat = self._mixable(rng.choice(["int", "text", "num", "date", "float"]))
            inner = self.gen(cat, depth - 1)
            items = [self.literal(self._compatible(cat)) for _ in range(rng.randint(1, 4))]
            negate = rng.choice(["", "NOT "])
            return Expr(f"({inner.sql} {negate}IN ({', '.join(i.sql for i in items)}))",
                        inner.has_col)
        if choice < 0.88:
            cat = self._mixable(rng.choice(["int", "num", "text", "date", "ts", "float"]))
            inner = self.gen(cat, depth - 1)
            low, high = self.literal(cat), self.literal(cat)
            negate = rng.choice(["", "", "NOT "])
            symmetric = "SYMMETRIC " if rng.random() < 0.2 else ""
            return Expr(f"({inner.sql} {negate}BETWEEN {symmetric}{low.sql} AND {high.sql})",
                        inner.has_col)
        if choice < 0.96:
            inner = self.gen("text", depth - 1)
            pattern = rng.choice(["a%", "%b%", "_", "%", "A%", "%é%", "a\\_b", "50\\%", "",
                                  "__%", "%c"])
            operator = rng.choice(["LIKE", "NOT LIKE", "ILIKE", "NOT ILIKE"])
            return Expr(f"({inner.sql} {operator} {sql_text(pattern)})", inner.has_col)
        found = self.column("bool")
        return found or self.literal("bool")

    def _mixable(self, category):
        """A category with a column in this table, preferably (comparisons on columns)."""
        if self.columns_of(category) or self.rng.random() < 0.3:
            return category
        present = sorted({c.category for c in self.table.columns} & (ORDERABLE | {"jsonb"}))
        return self.rng.choice(present) if present else category

    def _compatible(self, category):
        """A category that compares with `category` through an implicit cast."""
        rng = self.rng
        if category in ("int", "num", "float") and rng.random() < 0.3:
            return rng.choice(["int", "num", "float"])
        if category in ("date", "ts", "tstz") and rng.random() < 0.3:
            return rng.choice(["date", "ts", "tstz"])
        return category


def _cast_name(kind):
    return {"int2": "smallint", "int4": "integer", "int8": "bigint", "float4": "real",
            "float8": "double precision", "bool": "boolean", "bpchar": "char"}.get(kind, kind)
