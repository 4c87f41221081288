"""Bulk writes of an upload's rows, one bounded piece at a time, in the caller's transaction.

PostgreSQL: COPY FROM STDIN (CSV written by Arrow, no Python object per row) into a session
temp table, then one INSERT ... SELECT ... ON CONFLICT (or UPDATE ... FROM) per piece: COPY
alone cannot upsert, and a staged piece keeps the unique rules in the database's hands.
SQLite: multi-row INSERT statements (as many rows per statement as its variable limit allows,
~1.7x the rows/s of executemany) and executemany for updates by id.

A piece is a `pyarrow.Table` whose columns are named after the target's columns. Column kinds:
"int", "float" (NaN/null -> NULL), "text", "us" (epoch microseconds int64, stored as the
table's datetime: PostgreSQL timestamptz, SQLite Django's text form)."""
from __future__ import annotations

import hashlib
import io
import sqlite3
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from django.db import connection

_PG_TYPES = {"int": "bigint", "float": "double precision", "text": "text", "us": "bigint"}
_CASTS = {"int": "bigint", "float": "double precision", "text": "text", "datetime": "timestamptz"}
SQLITE_ROWS_PER_STATEMENT = 500   # more rows per statement: no faster, bigger prepared statements cached


def q(name: str) -> str:
    return connection.ops.quote_name(name)


def on_postgres() -> bool:
    return connection.vendor == "postgresql"


def us_to_sqlite_text(us: np.ndarray | pa.Array) -> list[str | None]:
    """Epoch microseconds as Django's SQLite datetime text (str() of the naive UTC datetime, no
    fraction when it is zero), so comparisons in SQL agree with the ORM's. Each distinct time is
    formatted once (a snapshot's rows share one)."""
    arr = us if isinstance(us, pa.Array) else pa.array(np.asarray(us, dtype=np.int64))
    ints = np.asarray(arr.fill_null(0).to_numpy(zero_copy_only=False), dtype=np.int64)
    distinct, inverse = np.unique(ints, return_inverse=True)
    text = np.char.replace(np.datetime_as_string(distinct.astype("datetime64[us]"), unit="us"), "T", " ")
    words = [t[:-7] if t.endswith(".000000") else t for t in text.tolist()]
    out: list[str | None] = [words[i] for i in inverse.tolist()]
    if arr.null_count:
        for i in np.flatnonzero(~np.asarray(arr.is_valid(), dtype=bool)).tolist():
            out[i] = None
    return out


def _column_values(col: pa.ChunkedArray | pa.Array, kind: str) -> list:
    """One column of a piece as the SQLite driver's values (None for null / NaN)."""
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if kind == "us":
        return us_to_sqlite_text(arr)
    if kind == "float" or (kind == "int" and not arr.null_count):
        numbers = arr.to_numpy(zero_copy_only=False)        # nulls come out as NaN
        out = numbers.tolist()
        missing = np.isnan(numbers) if numbers.dtype.kind == "f" else np.zeros(len(numbers), dtype=bool)
        for i in np.flatnonzero(missing).tolist():
            out[i] = None
        return out
    return arr.to_pylist()


def _sqlite_rows(piece: pa.Table, kinds: dict[str, str]) -> list[tuple]:
    return list(zip(*(_column_values(piece.column(c), kinds[c]) for c in piece.column_names), strict=True))


def _sqlite_limit() -> int:
    """Variables one SQLite statement may hold (Django assumes 999; modern SQLite allows 32766)."""
    raw = connection.connection
    try:
        return int(raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
    except (AttributeError, sqlite3.Error):
        return int(connection.features.max_query_params or 999)


def _csv(piece: pa.Table, kinds: dict[str, str]) -> bytes:
    """The piece as PostgreSQL COPY CSV: nulls as unquoted empty fields, strings quoted (an empty
    string stays ""), floats in Arrow's shortest round-trip form (the same double comes back)."""
    cols = []
    for name in piece.column_names:
        col = piece.column(name)
        if kinds[name] == "float":   # NaN is a missing value: NULL, never the float 'NaN'
            arr = col.combine_chunks()
            col = pc.if_else(pc.is_nan(arr.fill_null(0.0)), pa.scalar(None, pa.float64()), arr)
        cols.append(col)
    out = io.BytesIO()
    pa_csv.write_csv(pa.table(cols, names=piece.column_names), out, pa_csv.WriteOptions(include_header=False))
    return out.getvalue()


def _stage(cur, name: str, piece: pa.Table, kinds: dict[str, str]) -> str:
    """PostgreSQL: a session temp table holding this piece only (emptied at commit and before
    each piece), one per table and column list. Returns its quoted name."""
    cols = ", ".join(f"{q(c)} {_PG_TYPES[kinds[c]]}" for c in piece.column_names)
    stage = q(f"chemviz_stage_{name[:30]}_{hashlib.sha1(cols.encode()).hexdigest()[:10]}")
    cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} ({cols}) ON COMMIT DELETE ROWS")
    cur.execute(f"TRUNCATE {stage}")
    names = ", ".join(q(c) for c in piece.column_names)
    with cur.cursor.copy(f"COPY {stage} ({names}) FROM STDIN (FORMAT csv)") as copy:
        copy.write(_csv(piece, kinds))
    return stage


def _pg_expr(column: str, kind: str) -> str:
    if kind == "us":
        return f"(TIMESTAMPTZ 'epoch' + s.{q(column)} * INTERVAL '1 microsecond')"
    return f"s.{q(column)}"


def insert(table: str, piece: pa.Table, kinds: dict[str, str], *, constants: Sequence[tuple[str, str, object]] = (),
           conflict: str = "", returning: Sequence[str] = ()) -> list[tuple]:
    """INSERT the piece's rows into `table` (plus `constants`: (column, kind, value) the same for
    every row, kind "int", "float", "text" or "datetime" with a value the backend adapted), with
    `conflict` appended (e.g. "ON CONFLICT (name_key) DO NOTHING"). Returns the `returning`
    columns of the rows inserted (both backends support RETURNING; check
    `connection.features.can_return_rows_from_bulk_insert` before asking)."""
    if not piece.num_rows:
        return []
    names = list(piece.column_names)
    target = ", ".join(q(c) for c in [*names, *(c for c, _, _ in constants)])
    tail = f" RETURNING {', '.join(q(c) for c in returning)}" if returning else ""
    out: list[tuple] = []
    with connection.cursor() as cur:
        if on_postgres():
            stage = _stage(cur, table, piece, kinds)
            const_sql = "".join(f", CAST(%s AS {_CASTS[k]})" for _, k, _ in constants)
            cur.execute(f"INSERT INTO {q(table)} ({target}) SELECT {', '.join(_pg_expr(c, kinds[c]) for c in names)}"
                        f"{const_sql} FROM {stage} s {conflict}{tail}", [v for _, _, v in constants])
            return cur.fetchall() if returning else out
        width = len(names) + len(constants)
        per = max(1, min(SQLITE_ROWS_PER_STATEMENT, _sqlite_limit() // width))
        one = "(" + ", ".join(["?"] * width) + ")"
        fixed = tuple(v for _, _, v in constants)
        raw = cur.cursor
        for lo in range(0, piece.num_rows, per):
            rows = _sqlite_rows(piece.slice(lo, per), kinds)
            params = [v for row in rows for v in (*row, *fixed)]
            # sqlite3's own execute with ? placeholders: Django's wrapper rewrites %s with a regex
            # per statement (~2 s for 267k rows); its error translation is kept
            with connection.wrap_database_errors:
                sqlite3.Cursor.execute(raw, f"INSERT INTO {q(table)} ({target}) VALUES "
                                            f"{', '.join([one] * len(rows))} {conflict}{tail}", params)
                if returning:
                    out.extend(raw.fetchall())
    return out


def in_batch() -> int:
    """How many values one `IN (...)` list may hold on this backend."""
    return 10_000 if on_postgres() else max(100, min(10_000, _sqlite_limit() - 10))


def update_by_id(table: str, piece: pa.Table, kinds: dict[str, str], *, set_columns: Sequence[str],
                 unless_newer: str | None = None) -> None:
    """UPDATE `table` SET each of `set_columns` from the piece's row with the same "id". With
    `unless_newer` (a datetime column also in `set_columns`), a row whose value there is newer
    than the piece's is left as it is."""
    if not piece.num_rows:
        return
    with connection.cursor() as cur:
        if on_postgres():
            stage = _stage(cur, table, piece, kinds)
            assign = ", ".join(f"{q(c)} = {_pg_expr(c, kinds[c])}" for c in set_columns)
            cond = ""
            if unless_newer:
                mine = f"{q(table)}.{q(unless_newer)}"
                cond = f" AND ({mine} IS NULL OR {mine} <= {_pg_expr(unless_newer, kinds[unless_newer])})"
            cur.execute(f"UPDATE {q(table)} SET {assign} FROM {stage} s "
                        f"WHERE {q(table)}.{q('id')} = s.{q('id')}{cond}")
            return
        sql = f"UPDATE {q(table)} SET {', '.join(f'{q(c)} = %s' for c in set_columns)} WHERE {q('id')} = %s"
        order = [*set_columns, "id"]
        if unless_newer:
            sql += f" AND ({q(unless_newer)} IS NULL OR {q(unless_newer)} <= %s)"
            order.append(unless_newer)
        cols = {c: _column_values(piece.column(c), kinds[c]) for c in piece.column_names}
        cur.executemany(sql, list(zip(*(cols[c] for c in order), strict=True)))
