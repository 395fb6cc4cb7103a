"""Random schemas, data and statements within issue 5's SQL subset, for the differential test
(tests/sql/differential.py).

Everything is drawn from one random.Random, so a seed reproduces a run. The generator keeps a
model of the schema (tables, columns, keys, constraints, indexes), of the key values it has
written (so later statements hit existing rows and collide on purpose), and of the transaction
state (told by the reference engine's answers, through `observe`).

The statements stay where PostgreSQL's answer is fully determined, so that any difference is a
bug rather than an implementation choice:
  * LIMIT/OFFSET only under an ORDER BY that fixes the order (it ends with the whole primary key,
    or every GROUP BY key, or every DISTINCT column);
  * DISTINCT and GROUP BY only over plain columns, and data with one spelling per value
    (unconstrained numeric columns keep one scale, no -0 in tables, intervals in a single form,
    whole numbers in JSON), since PostgreSQL may print either of two equal values;
  * no constant subexpression that can fail (PostgreSQL folds it at plan time, even where it is
    never evaluated); an expression that can fail under CASE, COALESCE, AND or OR, or under a
    LIMIT, marks the statement `order_dependent`: which rows get evaluated is the engine's choice,
    so an error on one side only is not counted as a divergence there;
  * updates of primary-key and unique columns touch one row (PostgreSQL checks uniqueness row by
    row, so a multi-row key shift may fail or not depending on physical order);
  * no now(), gen_random_uuid(), serial or identity values (they differ by design), and
    string_agg and float sums are compared order-insensitively / approximately (the Statement
    says which output columns need that).
"""
import dataclasses

from sqlgen_expr import ExprGen
from sqlgen_values import (ALL_KINDS, KEY_KINDS, ORDERABLE, Column, Statement, Table, Values)

# -- the generator -----------------------------------------------------------------------------


class Generator:
    """Statements for one round: a fresh schema, its data, then a random mix."""

    def __init__(self, rng, *, allow_restart=True):
        self.rng = rng
        self.values = Values(rng)
        self.tables = []
        self.in_transaction = False
        self.failed = False
        self.savepoints = []
        self.transaction_left = 0
        self.index_count = 0
        self.column_count = 0
        self.allow_restart = allow_restart

    # -- schema ----------------------------------------------------------------------------

    def schema(self):
        """CREATE TABLE statements of a new random schema (the model is updated now)."""
        rng = self.rng
        statements = []
        for number in range(rng.randint(1, 3)):
            table = self._random_table(f"t{number}")
            self.tables.append(table)
            statements.append(Statement(self._create_sql(table), "ddl"))
        return statements

    def _random_table(self, name):
        rng = self.rng
        columns = []
        pk_count = 1 if rng.random() < 0.65 else 2
        for index in range(pk_count):
            kind = rng.choice(KEY_KINDS[:6] + KEY_KINDS)
            columns.append(self._column(f"k{index}", kind, key=True))
        parent = None
        if self.tables and rng.random() < 0.4:
            candidates = [t for t in self.tables if len(t.pk) == 1]
            if candidates:
                parent = rng.choice(candidates)
        for index in range(rng.randint(1, 6)):
            kind = rng.choice(ALL_KINDS)
            columns.append(self._column(f"c{index}", kind))
        table = Table(name, columns, [c.name for c in columns[:pk_count]])
        if parent is not None:
            parent_key = parent.column(parent.pk[0])
            reference = dataclasses.replace(parent_key, name="p", not_null=False, unique=False,
                                            check="", default="",
                                            references=(parent.name, parent_key.name))
            columns.append(reference)
            table.on_delete = rng.choice(["CASCADE", "RESTRICT", ""])
        return table

    def _column(self, name, kind, key=False):
        rng = self.rng
        column = Column(name, kind)
        if kind in ("varchar", "bpchar"):
            column.length = rng.choice([1, 3, 5, 10])
        if kind == "numeric":
            if rng.random() < 0.6:
                column.precision = rng.randint(1, 12)
                column.scale = rng.randint(0, min(column.precision, 4))
            else:
                column.scale = rng.randint(0, 3)  # one scale for all values (see the docstring)
        if key:
            return column
        column.not_null = rng.random() < 0.15
        if kind not in ("jsonb", "float4", "float8", "bool") and rng.random() < 0.1:
            column.unique = True
        if rng.random() < 0.12:
            column.check = self._check(column)
        if rng.random() < 0.15:
            column.default = self.values.of_kind(kind, column=column, small_domain=True)
        elif column.not_null and rng.random() < 0.5:
            column.default = self.values.of_kind(kind, column=column, small_domain=True)
        return column

    def _check(self, column):
        rng = self.rng
        name = column.name
        category = column.category
        if category == "int":
            return rng.choice([f"{name} > -1000", f"{name} <> 13", f"{name} BETWEEN -5 AND 25"])
        if category == "num":
            return rng.choice([f"{name} >= 0", f"{name} < 1000"])
        if category == "text":
            return rng.choice([f"length({name}) < 4", f"{name} <> 'abc'", f"{name} NOT LIKE 'A%'"])
        if category == "date":
            return f"{name} > '1950-01-01'"
        return ""

    def _create_sql(self, table):
        parts = []
        for column in table.columns:
            part = f"{column.name} {column.type_sql()}"
            if column.not_null:
                part += " NOT NULL"
            if column.default:
                part += f" DEFAULT {column.default}"
            if column.unique:
                part += " UNIQUE"
            if column.check:
                part += f" CHECK ({column.check})"
            if column.references:
                part += f" REFERENCES {column.references[0]} ({column.references[1]})"
                if table.on_delete:
                    part += f" ON DELETE {table.on_delete}"
            parts.append(part)
        parts.append(f"PRIMARY KEY ({', '.join(table.pk)})")
        return f"CREATE TABLE {table.name} ({', '.join(parts)})"

    # -- data ------------------------------------------------------------------------------

    def initial_data(self):
        statements = []
        for table in self.tables:
            for _ in range(self.rng.randint(1, 3)):
                statements.append(self._insert(table, rows=self.rng.randint(3, 15), plain=True))
        return statements

    def _key_literal(self, table, column):
        rng = self.rng
        if column.references:
            parent = self._table(column.references[0])
            if parent.key_pool and rng.random() < 0.9:
                return rng.choice(parent.key_pool)[0]
        if column.name in table.pk and table.key_pool and rng.random() < 0.25:
            position = table.pk.index(column.name)
            return rng.choice(table.key_pool)[position]
        small = column.name in table.pk or column.unique or column.references
        return self.values.for_column(column, small_domain=bool(small) and rng.random() < 0.9,
                                      allow_null=column.name not in table.pk)

    def _table(self, name):
        return next(t for t in self.tables if t.name == name)

    def _row(self, table, columns):
        row = []
        for column in columns:
            if column.name in table.pk or column.unique or column.references:
                row.append(self._key_literal(table, column))
            elif column.default and self.rng.random() < 0.1:
                row.append("DEFAULT")
            elif self.rng.random() < 0.05 and not (column.kind == "numeric" and
                                                   not column.precision):
                expr = ExprGen(self.rng, self.values, table).literal(
                    self._assignable(column.category), safe=True)
                row.append(expr.sql)  # an expression: assignment cast from another type
            else:
                row.append(self.values.for_column(column))
        return row

    def _assigned(self, column, expr_sql):
        """An expression assigned to `column`, in the one spelling per value the column keeps
        (a fixed scale for unconstrained numeric, no -0 in floats: x + 0 turns -0 into 0)."""
        if column.kind == "numeric" and not column.precision:
            return f"round(CAST({expr_sql} AS numeric), {column.scale})"
        if column.category == "float":
            return f"({expr_sql}) + 0"
        return expr_sql

    def _assignable(self, category):
        if category in ("int", "num", "float"):
            return self.rng.choice(["int", "num", "float"])
        return category

    def _insert(self, table, rows=None, plain=False):
        rng = self.rng
        rows = rows or rng.choice([1, 1, 2, 3, 5])
        columns = list(table.columns)
        explicit = True
        if not plain and rng.random() < 0.3:
            pk_cols = [c for c in columns if c.name in table.pk]
            others = [c for c in columns if c.name not in table.pk]
            rng.shuffle(others)
            columns = pk_cols + others[:rng.randint(0, len(others))]
            rng.shuffle(columns)
        elif rng.random() < 0.5:
            explicit = False
        value_rows = [self._row(table, columns) for _ in range(rows)]
        for row in value_rows:
            key = tuple(row[columns.index(table.column(name))] for name in table.pk)
            if "NULL" not in key and "DEFAULT" not in key and key not in table.key_pool:
                table.key_pool.append(key)
        column_list = f" ({', '.join(c.name for c in columns)})" if explicit else ""
        sql = f"INSERT INTO {table.name}{column_list} VALUES " + ", ".join(
            f"({', '.join(row)})" for row in value_rows)
        statement = Statement(sql, "insert")
        if not plain:
            self._on_conflict(table, statement, columns)
            self._returning(table, statement)
        return statement

    def _on_conflict(self, table, statement, columns):
        rng = self.rng
        choice = rng.random()
        if choice < 0.55:
            return
        if choice < 0.75:
            target = rng.choice(table.unique_targets() + [None])
            statement.sql += " ON CONFLICT"
            if target:
                statement.sql += f" ({', '.join(target)})"
            statement.sql += " DO NOTHING"
            return
        target = rng.choice(table.unique_targets())
        protected = set(table.pk) | {c.name for c in table.columns if c.unique} | \
            {col for _, cols, _ in table.indexes for col in cols} | set(target)
        updatable = [c for c in table.columns if c.name not in protected]
        if not updatable:
            statement.sql += f" ON CONFLICT ({', '.join(target)}) DO NOTHING"
            return
        chosen = rng.sample(updatable, rng.randint(1, min(2, len(updatable))))
        generator = ExprGen(rng, self.values, table, alias=table.name)
        assignments = []
        for column in chosen:
            if rng.random() < 0.6 and column in columns:
                assignments.append(f"{column.name} = EXCLUDED.{column.name}")
            else:
                expr = generator.gen(column.category, 1)
                assignments.append(f"{column.name} = {self._assigned(column, expr.sql)}")
        statement.sql += f" ON CONFLICT ({', '.join(target)}) DO UPDATE SET " + \
            ", ".join(assignments)
        if rng.random() < 0.3:
            statement.sql += f" WHERE {generator.gen('bool', 1).sql}"
        statement.risks |= generator.risks
        statement.order_dependent |= generator.order_dependent

    def _returning(self, table, statement):
        rng = self.rng
        if rng.random() < 0.6:
            return
        if rng.random() < 0.4:
            statement.sql += " RETURNING *"
            return
        generator = ExprGen(rng, self.values, table)
        items = []
        for index in range(rng.randint(1, 3)):
            expr = generator.gen(rng.choice(["int", "text", "num", "bool", "date", "float"]), 1)
            items.append(expr.sql + (f" AS r{index}" if rng.random() < 0.5 else ""))
        statement.sql += " RETURNING " + ", ".join(items)
        statement.risks |= generator.risks
        statement.order_dependent |= generator.order_dependent

    # -- reads -----------------------------------------------------------------------------

    def _select(self, table):
        rng = self.rng
        choice = rng.random()
        if choice < 0.25:
            return self._grouped_select(table)
        if choice < 0.35:
            return self._aggregate_select(table)
        generator = ExprGen(rng, self.values, table)
        statement = Statement("", "select")
        distinct = rng.random() < 0.12
        items, names = [], []
        if distinct:
            chosen = rng.sample(table.columns, rng.randint(1, min(3, len(table.columns))))
            items = [c.name for c in chosen]
            names = list(items)
        elif rng.random() < 0.15:
            items = ["*"]
            names = [c.name for c in table.columns]
        else:
            for index in range(rng.randint(1, 4)):
                if rng.random() < 0.4:
                    column = rng.choice(table.columns)
                    expr_sql = column.name
                else:
                    category = rng.choice(["int", "int", "num", "float", "text", "text", "bool",
                                           "date", "ts", "tstz", "interval", "uuid", "jsonb",
                                           "bytea"])
                    expr_sql = generator.gen(category, 2).sql
                alias = f"e{index}" if rng.random() < 0.4 else None
                items.append(expr_sql + (f" AS {alias}" if alias else ""))
                names.append(alias or expr_sql)
        where = ""
        if rng.random() < 0.75:
            where = " WHERE " + self._where(table, generator)
        sql = f"SELECT {'DISTINCT ' if distinct else ''}{', '.join(items)} FROM {table.name}{where}"
        order, total = self._order_by(table, items, names, distinct)
        sql += order
        if total and rng.random() < 0.5:
            sql += f" LIMIT {rng.randint(0, 6)}"
            if rng.random() < 0.4:
                sql += f" OFFSET {rng.randint(0, 4)}"
            generator.order_dependent |= bool(generator.risks)
        statement.sql = sql
        statement.ordered = total
        statement.risks = generator.risks
        statement.order_dependent = generator.order_dependent
        return statement

    def _where(self, table, generator):
        rng = self.rng
        if table.key_pool and rng.random() < 0.3:
            key = rng.choice(table.key_pool)
            if rng.random() < 0.6:
                return " AND ".join(f"{name} = {value}" for name, value in zip(table.pk, key))
            column = table.column(table.pk[0])
            operator = rng.choice(["<", "<=", ">", ">="])
            return f"{table.pk[0]} {operator} {key[0]}" + (
                f" AND {column.name} IS NOT NULL" if rng.random() < 0.2 else "")
        return generator.gen("bool", 2).sql

    def _order_by(self, table, items, names, distinct):
        """ORDER BY text and whether it fixes the row order."""
        rng = self.rng
        if rng.random() < 0.45:
            return "", False
        orderable = [c for c in table.columns if c.category in ORDERABLE]
        keys = []
        if distinct:
            positions = list(range(1, len(items) + 1))
            rng.shuffle(positions)
            columns = [table.column(items[p - 1]) for p in positions]
            if any(c.category not in ORDERABLE for c in columns):
                return "", False
            keys = [str(p) + self._direction() for p in positions]
            return " ORDER BY " + ", ".join(keys), True
        for _ in range(rng.randint(0, 2)):
            choice = rng.random()
            if choice < 0.5 and orderable:
                keys.append(rng.choice(orderable).name + self._direction())
            elif choice < 0.7 and items != ["*"]:
                keys.append(str(rng.randint(1, len(items))) + self._direction())
            elif orderable:
                keys.append(f"{rng.choice(orderable).name} IS NULL" + self._direction())
        total = rng.random() < 0.8
        if total:
            # Qualified: a bare name could be an output column's (CASE ... ELSE k0 END is
            # named k0), which need not order the rows at all.
            keys += [f"{table.name}.{name}" + self._direction() for name in table.pk]
        if not keys:
            return "", False
        return " ORDER BY " + ", ".join(keys), total

    def _direction(self):
        rng = self.rng
        text = rng.choice(["", "", " ASC", " DESC"])
        if rng.random() < 0.3:
            text += rng.choice([" NULLS FIRST", " NULLS LAST"])
        return text

    def _aggregates(self, table, generator, statement, offset):
        rng = self.rng
        items = []
        for _ in range(rng.randint(1, 4)):
            index = offset + len(items)
            choice = rng.random()
            numeric_columns = [c for c in table.columns if c.category in ("int", "num", "float")]
            # PostgreSQL 15 has no min/max for boolean, bytea, uuid or jsonb.
            orderable = [c for c in table.columns if c.category in ORDERABLE and
                         c.category not in ("bool", "bytea", "uuid")]
            if choice < 0.2:
                items.append("count(*)")
            elif choice < 0.35:
                column = rng.choice(table.columns)
                distinct = "DISTINCT " if rng.random() < 0.4 else ""
                items.append(f"count({distinct}{column.name})")
            elif choice < 0.6 and numeric_columns:
                column = rng.choice(numeric_columns)
                function = rng.choice(["sum", "avg"])
                argument = column.name
                if rng.random() < 0.3:
                    expr = generator.gen(column.category, 1)
                    argument = expr.sql
                items.append(f"{function}({argument})")
                if column.category == "float":
                    statement.approx.append(index)
                    # Whether a float sum overflows depends on the order rows are added in
                    # (1e308 + 1e308 - inf fails; -inf + 1e308 + 1e308 does not).
                    generator.risks.add("22003")
                    generator.order_dependent = True
            elif choice < 0.8 and orderable:
                column = rng.choice(orderable)
                items.append(f"{rng.choice(['min', 'max'])}({column.name})")
            elif choice < 0.9:
                predicate = generator.gen("bool", 1)
                items.append(f"{rng.choice(['bool_and', 'bool_or'])}({predicate.sql})")
            else:
                column = rng.choice(table.columns)
                items.append(f"string_agg(CAST({column.name} AS text), ',')")
                statement.unordered_agg.append(index)
        return items

    def _grouped_select(self, table):
        rng = self.rng
        generator = ExprGen(rng, self.values, table)
        statement = Statement("", "select")
        groupable = [c for c in table.columns if c.category in ORDERABLE]
        keys = [c.name for c in rng.sample(groupable, min(len(groupable), rng.randint(1, 2)))]
        aggregates = self._aggregates(table, generator, statement, len(keys))
        # A float aggregate under approximate comparison must not be a sort key.
        sql = f"SELECT {', '.join(keys + aggregates)} FROM {table.name}"
        if rng.random() < 0.5:
            sql += " WHERE " + self._where(table, generator)
        sql += f" GROUP BY {', '.join(keys)}"
        if rng.random() < 0.3:
            aggregate = rng.choice(["count(*)", f"count({rng.choice(table.columns).name})"])
            sql += f" HAVING {aggregate} {rng.choice(['>', '>=', '=', '<'])} {rng.randint(0, 3)}"
        if rng.random() < 0.7:
            sql += " ORDER BY " + ", ".join(k + self._direction() for k in keys)
            statement.ordered = True
            if rng.random() < 0.3:
                sql += f" LIMIT {rng.randint(1, 5)}"
                generator.order_dependent |= bool(generator.risks)
        statement.sql = sql
        statement.risks = generator.risks
        statement.order_dependent = generator.order_dependent
        return statement

    def _aggregate_select(self, table):
        generator = ExprGen(self.rng, self.values, table)
        statement = Statement("", "select")
        aggregates = self._aggregates(table, generator, statement, 0)
        sql = f"SELECT {', '.join(aggregates)} FROM {table.name}"
        if self.rng.random() < 0.6:
            sql += " WHERE " + self._where(table, generator)
        statement.sql = sql
        statement.ordered = True
        statement.risks = generator.risks
        # min() and max() may read one end of an index and stop, like a LIMIT.
        statement.order_dependent = generator.order_dependent or bool(generator.risks)
        return statement

    # -- writes ----------------------------------------------------------------------------

    def _update(self, table):
        rng = self.rng
        generator = ExprGen(rng, self.values, table)
        statement = Statement("", "update")
        keyed = {c.name for c in table.columns if c.unique or c.references} | set(table.pk) | \
            {col for _, cols, unique in table.indexes if unique for col in cols}
        single_row = table.key_pool and rng.random() < 0.35
        candidates = table.columns if single_row else \
            [c for c in table.columns if c.name not in keyed]
        if not candidates:
            return self._select(table)
        chosen = rng.sample(candidates, rng.randint(1, min(3, len(candidates))))
        assignments = []
        for column in chosen:
            if column.name in keyed:
                value = self._key_literal(table, column)
            elif rng.random() < 0.3:
                value = self.values.for_column(column)
            else:
                expr = generator.gen(self._assignable(column.category), 2)
                value = self._assigned(column, expr.sql)
                if column.category in ("int", "num") or column.kind in ("varchar", "bpchar"):
                    generator.risks |= {"22003", "22001"}
                    # PostgreSQL folds constant parts (a CASE with a constant condition
                    # included) with the assignment cast at plan time: a failing one fails
                    # the statement even when no row is updated.
                    statement.order_dependent = True
            assignments.append(f"{column.name} = {value}")
        if single_row:
            key = rng.choice(table.key_pool)
            where = " AND ".join(f"{name} = {value}" for name, value in zip(table.pk, key))
        else:
            where = self._where(table, generator) if rng.random() < 0.85 else ""
        statement.sql = f"UPDATE {table.name} SET {', '.join(assignments)}" + (
            f" WHERE {where}" if where else "")
        self._returning(table, statement)
        statement.risks |= generator.risks
        statement.order_dependent |= generator.order_dependent
        return statement

    def _delete(self, table):
        generator = ExprGen(self.rng, self.values, table)
        statement = Statement("", "delete")
        where = self._where(table, generator)
        statement.sql = f"DELETE FROM {table.name} WHERE {where}"
        self._returning(table, statement)
        statement.risks |= generator.risks
        statement.order_dependent |= generator.order_dependent
        return statement

    def _insert_select(self, table):
        """INSERT INTO t SELECT ... FROM t with shifted keys, DO NOTHING on conflicts."""
        rng = self.rng
        key = table.column(table.pk[0])
        if key.category != "int":
            return self._insert(table)
        items = []
        for column in table.columns:
            if column.name == key.name:
                items.append(f"{column.name} + {rng.randint(1, 40)}")
            else:
                items.append(column.name)
        generator = ExprGen(rng, self.values, table)
        where = self._where(table, generator)
        statement = Statement(f"INSERT INTO {table.name} SELECT {', '.join(items)} FROM "
                              f"{table.name} WHERE {where} ON CONFLICT DO NOTHING", "insert")
        statement.risks = generator.risks | {"22003"}
        statement.order_dependent = generator.order_dependent
        self._returning(table, statement)
        return statement

    # -- DDL -------------------------------------------------------------------------------

    def _ddl(self, table):
        rng = self.rng
        choice = rng.random()
        if choice < 0.4:
            indexable = [c for c in table.columns if c.category in ORDERABLE]
            if not indexable:
                return None
            columns = [c.name for c in rng.sample(indexable, min(len(indexable),
                                                                  rng.randint(1, 2)))]
            unique = rng.random() < 0.3
            self.index_count += 1
            name = f"i{self.index_count}"
            sql = (f"CREATE {'UNIQUE ' if unique else ''}INDEX {name} ON {table.name} "
                   f"({', '.join(columns)})")
            return Statement(sql, "ddl", ddl_apply=lambda: table.indexes.append(
                (name, columns, unique)))
        if choice < 0.7:
            self.column_count += 1
            column = self._column(f"a{self.column_count}", rng.choice(ALL_KINDS))
            column.unique = False
            column.check = ""
            sql = f"ALTER TABLE {table.name} ADD COLUMN {column.name} {column.type_sql()}"
            if column.default:
                sql += f" DEFAULT {column.default}"
            if column.not_null:
                sql += " NOT NULL"
            return Statement(sql, "ddl", ddl_apply=lambda: table.columns.append(column))
        if choice < 0.85:
            used = set(table.pk) | {col for _, cols, _ in table.indexes for col in cols}
            droppable = [c for c in table.columns if c.name not in used and not c.unique and
                         not c.check and not c.references and not self._referenced(table, c)]
            if not droppable:
                return None
            column = rng.choice(droppable)
            return Statement(f"ALTER TABLE {table.name} DROP COLUMN {column.name}", "ddl",
                             ddl_apply=lambda: table.columns.remove(column))
        if any(self._referenced(table, c) for c in table.columns):
            return None
        return Statement(f"TRUNCATE {table.name}", "ddl")

    def _referenced(self, table, column):
        return any(c.references == (table.name, column.name)
                   for other in self.tables for c in other.columns)

    # -- the mix ---------------------------------------------------------------------------

    def observe(self, statement, result_kind):
        """Tells the model how the reference engine answered `statement`."""
        if statement.kind == "restart":
            self.in_transaction, self.failed, self.savepoints = False, False, []
            return
        if result_kind == "error":
            if self.in_transaction:
                self.failed = True
            return
        if statement.ddl_apply is not None:
            statement.ddl_apply()
        upper = statement.sql.upper()
        if upper == "BEGIN":
            self.in_transaction, self.failed, self.savepoints = True, False, []
        elif upper in ("COMMIT", "ROLLBACK"):
            self.in_transaction, self.failed, self.savepoints = False, False, []
        elif upper.startswith("ROLLBACK TO"):
            self.failed = False

    def next(self):
        rng = self.rng
        if self.in_transaction:
            if self.failed:
                if self.savepoints and rng.random() < 0.6:
                    name = self.savepoints.pop()
                    self.savepoints.append(name)
                    return Statement(f"ROLLBACK TO SAVEPOINT {name}", "txn")
                if rng.random() < 0.2:
                    return self._random_statement(allow_ddl=False)  # 25P02 on both
                return Statement(rng.choice(["ROLLBACK", "COMMIT"]), "txn")
            self.transaction_left -= 1
            if self.transaction_left <= 0:
                return Statement("COMMIT" if rng.random() < 0.7 else "ROLLBACK", "txn")
            choice = rng.random()
            if choice < 0.1:
                name = f"s{len(self.savepoints)}"
                self.savepoints.append(name)
                return Statement(f"SAVEPOINT {name}", "txn")
            if choice < 0.16 and self.savepoints:
                return Statement(f"ROLLBACK TO SAVEPOINT {rng.choice(self.savepoints)}", "txn")
            if choice < 0.19 and self.savepoints:
                name = self.savepoints.pop()
                return Statement(f"RELEASE SAVEPOINT {name}", "txn")
            return self._random_statement(allow_ddl=False)
        choice = rng.random()
        if choice < 0.07:
            self.transaction_left = rng.randint(1, 8)
            return Statement("BEGIN", "txn")
        if choice < 0.075 and self.allow_restart:
            return Statement("\\restart", "restart")
        return self._random_statement(allow_ddl=True)

    def _random_statement(self, allow_ddl):
        rng = self.rng
        table = rng.choice(self.tables)
        choice = rng.random()
        if choice < 0.45:
            return self._select(table)
        if choice < 0.65:
            return self._insert(table)
        if choice < 0.68:
            return self._insert_select(table)
        if choice < 0.84:
            return self._update(table)
        if choice < 0.95 or not allow_ddl:
            return self._delete(table)
        return self._ddl(table) or self._select(table)
