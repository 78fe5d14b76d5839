"""Querysets compiled to SQL once per shape, then run with new values.

Building and compiling a Django queryset costs about 1 ms of CPU, several times what the indexed
query it produces costs the database. The SCIM hot paths run a handful of shapes over and over:
the `userName eq "..."` lookup an IdP sends before every create, a user's groups on every read,
a resource by id before every change. A `Statement` builds its queryset with stand-in values,
keeps the SQL, and afterwards runs that SQL with the real values and turns the rows into what
the queryset would have given (model instances, or tuples for `values_list`), with Django's own
converters.

It stays exact by construction. The queryset is compiled twice, with two different sets of
stand-ins (different contents and lengths); the shape is used only when both compilations give
the same SQL text and every parameter is either a stand-in, in the same place both times, or a
constant equal both times. Anything derived from a value (its length in a SUBSTR, a LIKE pattern,
a value written into the SQL text) shows up as a difference, and every value must reach a
parameter (a value consumed while compiling, such as a comparison with a constant folded to TRUE
or FALSE, leaves no trace in the SQL); otherwise that shape always runs through the ORM. A value of another type than declared, or None (which the ORM compiles to IS
NULL), also goes through the ORM.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import (
    FlatValuesListIterable,
    ModelIterable,
    ValuesListIterable,
    get_related_populators,
)

_NOT_TEMPLATABLE = object()


def _stand_in(kind: type, index: int, variant: int):
    if kind is str:
        # Characters no SCIM value or constant of ours contains, and a different length per
        # variant, so that a value's length leaking into the SQL is caught.
        return f"\x1f{'stand-in' * variant}{index}\x1f"
    if kind is int:
        return 1_900_000_000 - variant * 100_000_000 + index
    raise TypeError(f"no stand-in for parameters of type {kind.__name__}")


def _mentions(param, stand_ins: dict) -> bool:
    if isinstance(param, str):
        return any(isinstance(s, str) and s in param for s in stand_ins)
    if isinstance(param, list | tuple):
        return any(_mentions(item, stand_ins) for item in param)
    return False


@dataclass(frozen=True)
class _Compiled:
    alias: str
    sql: str
    # One entry per SQL parameter: the name of the value that goes there, or None for a constant.
    slots: tuple[str | None, ...]
    constants: tuple
    convert: Callable[[list], list]


def _converter(queryset: QuerySet, compiler) -> Callable[[list], list] | None:
    """Rows → what iterating the queryset yields, as Django's iterables do it."""
    query = queryset.query
    iterable = queryset._iterable_class
    if query.extra_select or queryset._known_related_objects or queryset._prefetch_related_lookups:
        return None
    alias = queryset.db
    if iterable is ModelIterable:
        select, klass_info, annotation_col_map = (
            compiler.select,
            compiler.klass_info,
            compiler.annotation_col_map,
        )
        model = klass_info["model"]
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        init_list = [column[0].target.attname for column in select[start:end]]
        populators = get_related_populators(klass_info, select, alias)

        def models(rows):
            objects = []
            for row in compiler.results_iter(results=[rows]):
                obj = model.from_db(alias, init_list, row[start:end])
                for populator in populators:
                    populator.populate(row, obj)
                for name, position in (annotation_col_map or {}).items():
                    setattr(obj, name, row[position])
                objects.append(obj)
            return objects

        return models
    if query.annotation_select:
        return None
    if iterable is ValuesListIterable:
        return lambda rows: list(compiler.results_iter(results=[rows], tuple_expected=True))
    if iterable is FlatValuesListIterable:
        return lambda rows: [row[0] for row in compiler.results_iter(results=[rows])]
    return None


class Statement:
    """One queryset shape. `build(**values)` returns the queryset for those values; `params`
    declares each value's type (str or int)."""

    def __init__(self, build: Callable[..., QuerySet], **params: type):
        self.build = build
        self.params = params
        self._compiled = None
        self._lock = threading.Lock()

    def __call__(self, **values) -> list:
        compiled = self._compiled or self._compile()
        if compiled is _NOT_TEMPLATABLE or not self._fits(values):
            return list(self.build(**values))
        parameters = [
            values[name] if name is not None else constant
            for name, constant in zip(compiled.slots, compiled.constants, strict=True)
        ]
        with connections[compiled.alias].cursor() as cursor:
            cursor.execute(compiled.sql, parameters)
            rows = cursor.fetchall()
        return compiled.convert(rows)

    def first(self, **values):
        rows = self(**values)
        return rows[0] if rows else None

    def _fits(self, values: dict) -> bool:
        return values.keys() == self.params.keys() and all(
            type(values[name]) is kind for name, kind in self.params.items()
        )

    def _compile(self):
        with self._lock:
            if self._compiled is None:
                self._compiled = self._template() or _NOT_TEMPLATABLE
            return self._compiled

    def _template(self) -> _Compiled | None:
        variants = []
        for variant in (1, 2):
            stand_ins = {
                _stand_in(kind, index, variant): name
                for index, (name, kind) in enumerate(self.params.items())
            }
            try:
                queryset = self.build(**{name: value for value, name in stand_ins.items()})
                compiler = queryset.query.get_compiler(using=queryset.db)
                sql, params = compiler.as_sql()
            except Exception:  # noqa: BLE001 - a shape the stand-ins can't build (or that matches
                return None  # nothing, EmptyResultSet) runs through the ORM
            variants.append((queryset, compiler, sql, tuple(params), stand_ins))
        (queryset, compiler, sql, params, stand_ins), (_, _, sql_b, params_b, stand_ins_b) = variants
        if sql != sql_b or len(params) != len(params_b):
            return None
        slots, constants = [], []
        for a, b in zip(params, params_b, strict=True):
            name = stand_ins.get(a) if isinstance(a, Hashable) else None
            if name is not None:
                if stand_ins_b.get(b) != name:
                    return None
                slots.append(name)
                constants.append(None)
            elif (
                a == b
                and type(a) is type(b)
                and not _mentions(a, stand_ins)
                and not _mentions(b, stand_ins_b)
            ):
                slots.append(None)
                constants.append(a)
            else:
                return None
        if set(slots) - {None} != set(self.params):
            # A value that reaches no parameter was used while compiling (a comparison with a
            # constant attribute folded to TRUE or FALSE, say): the SQL holds for the stand-ins
            # only, so this shape runs through the ORM.
            return None
        convert = _converter(queryset, compiler)
        if convert is None:
            return None
        return _Compiled(queryset.db, sql, tuple(slots), tuple(constants), convert)

    @property
    def templated(self) -> bool:
        """Whether this shape runs from its cached SQL (False: through the ORM every time)."""
        return (self._compiled or self._compile()) is not _NOT_TEMPLATABLE


class StatementCache:
    """Statements keyed by shape, for shapes that are only known at run time (a filter's
    structure). Bounded: a client that sends ever new shapes evicts the oldest."""

    def __init__(self, size: int = 256):
        self.size = size
        self._statements: OrderedDict[Hashable, Statement] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], Statement]) -> Statement:
        with self._lock:
            statement = self._statements.get(key)
            if statement is not None:
                self._statements.move_to_end(key)
                return statement
            statement = self._statements[key] = make()
            if len(self._statements) > self.size:
                self._statements.popitem(last=False)
            return statement


class Insert:
    """INSERT of one row of `model`, its SQL written once per database: what `Model.save()` does
    for a new row (no signals: this project has none), without compiling a query each time.
    Values are prepared by the fields themselves, as `save()` does.

    Called with field values, it writes an append-only row and reads nothing back; `save(obj)`
    inserts an unsaved instance and sets its primary key."""

    def __init__(self, model):
        self.model = model
        self.fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        self._sql: dict[tuple[str, bool], str] = {}

    def _statement(self, connection, returning: bool) -> str:
        key = (connection.alias, returning)
        sql = self._sql.get(key)
        if sql is None:
            quote = connection.ops.quote_name
            columns = ", ".join(quote(f.column) for f in self.fields)
            placeholders = ", ".join(["%s"] * len(self.fields))
            sql = f"INSERT INTO {quote(self.model._meta.db_table)} ({columns}) VALUES ({placeholders})"
            if returning and connection.features.can_return_columns_from_insert:
                sql += f" RETURNING {quote(self.model._meta.pk.column)}"
            self._sql[key] = sql
        return sql

    def __call__(self, *, using: str = "default", **values) -> None:
        unknown = values.keys() - {f.attname for f in self.fields} - {f.name for f in self.fields}
        if unknown:
            raise TypeError(f"{self.model.__name__} has no fields {sorted(unknown)}")
        connection = connections[using]
        params = []
        for field in self.fields:
            if field.attname in values:
                value = values[field.attname]
            elif field.name in values:
                value = values[field.name]
                value = (
                    value.pk if field.is_relation and value is not None and hasattr(value, "pk") else value
                )
            else:
                value = field.get_default()
            params.append(field.get_db_prep_save(value, connection))
        with connection.cursor() as cursor:
            cursor.execute(self._statement(connection, returning=False), params)

    def rows(self, objs, *, using: str = "default") -> None:
        """Insert new instances in one statement, reading nothing back (their keys stay unset):
        `bulk_create` without compiling a query each time."""
        if not objs:
            return
        connection = connections[using]
        head, _, one_row = self._statement(connection, returning=False).partition(" VALUES ")
        batch = max(1, connection.ops.bulk_batch_size(self.fields, objs))  # SQLite caps parameters
        with connection.cursor() as cursor:
            for start in range(0, len(objs), batch):
                chunk = objs[start : start + batch]
                params = [
                    field.get_db_prep_save(field.pre_save(obj, True), connection)
                    for obj in chunk
                    for field in self.fields
                ]
                cursor.execute(f"{head} VALUES " + ", ".join([one_row] * len(chunk)), params)

    def save(self, obj, *, using: str = "default"):
        """Insert `obj` (a new instance of the model) and give it its primary key."""
        connection = connections[using]
        params = [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in self.fields]
        with connection.cursor() as cursor:
            cursor.execute(self._statement(connection, returning=True), params)
            if connection.features.can_return_columns_from_insert:
                pk = cursor.fetchone()[0]
            else:
                pk = connection.ops.last_insert_id(
                    cursor, self.model._meta.db_table, self.model._meta.pk.column
                )
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = using
        return obj


class Update:
    """UPDATE of one existing row by primary key, setting `fields` (every column when none are
    named) from the instance: `save()` of a row that exists, without compiling a query each
    time. Returns whether a row was updated."""

    def __init__(self, model, *fields: str):
        self.model = model
        self.fields = (
            [model._meta.get_field(name) for name in fields]
            if fields
            else [f for f in model._meta.concrete_fields if not f.primary_key]
        )
        self._sql: dict[str, str] = {}

    def __call__(self, obj, *, using: str = "default") -> bool:
        connection = connections[using]
        sql = self._sql.get(using)
        if sql is None:
            quote = connection.ops.quote_name
            assignments = ", ".join(f"{quote(f.column)} = %s" for f in self.fields)
            pk = quote(self.model._meta.pk.column)
            sql = self._sql[using] = (
                f"UPDATE {quote(self.model._meta.db_table)} SET {assignments} WHERE {pk} = %s"
            )
        params = [field.get_db_prep_save(field.pre_save(obj, False), connection) for field in self.fields]
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, obj.pk])
            return cursor.rowcount == 1
