"""A sweep's rows as CSV text and files (the ``.csv`` output of ``planet sweep``)."""
from __future__ import annotations

import csv
import io
from pathlib import Path




def _ordered(row: dict, head: tuple = ("seed", "status", "step")) -> dict:
    """The row with ``head``'s keys first (seed, the swept parameters, status, step), error last."""
    head = {k: row[k] for k in head if k in row}
    rest = {k: v for k, v in row.items() if k not in head and k != "error"}
    return {**head, **rest, **({"error": row["error"]} if "error" in row else {})}


def _fmt(v) -> str:
    if isinstance(v, float):
        return repr(v)  # shortest text that reads back to the same float
    return "" if v is None else str(v)


def csv_text(rows: list[dict]) -> str:
    """Rows (dicts) as CSV text; columns: seed, status, step, statistics…, error (floats exact)."""
    columns: list[str] = []
    for row in rows:
        for k in row:
            if k not in columns and k != "error":
                columns.append(k)
    if any("error" in row for row in rows):
        columns.append("error")
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _fmt(row.get(k)) for k in columns})
    return buf.getvalue()


def write_csv(rows: list[dict], path) -> Path:
    """Write ``csv_text(rows)`` to ``path`` atomically (temporary file, fsync, rename)."""
    from planet.core.files import atomic_write

    text = csv_text(rows)

    def write(tmp):
        with open(tmp, "w", newline="") as f:
            f.write(text)

    return atomic_write(path, write)


def read_csv(path) -> list[dict]:
    """Rows of a sweep CSV with numbers parsed back (floats exactly, seed/step as int)."""
    out = []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            parsed = {}
            for k, v in row.items():
                if k in ("status", "error"):
                    parsed[k] = v
                elif v == "":
                    parsed[k] = None
                elif k in ("seed", "step"):
                    parsed[k] = int(v)
                else:
                    parsed[k] = float(v)
            out.append(parsed)
    return out
