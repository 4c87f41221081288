"""Query-parameter rules shared by every endpoint, so a client written from the OpenAPI
document meets one behaviour: a typed parameter (number, date, choice) is either left out or
valid. Present but empty is refused rather than read as "no filter" (`?status=` violates the
enum the schema documents)."""
from __future__ import annotations

from rest_framework.exceptions import ValidationError

MAX_ID = 2**63 - 1      # the largest id a database row can have (64-bit); larger ones are refused,
                        # as SQLite cannot even compare them (OverflowError, a 500, on a foreign key)


def bad(name: str, message: str) -> ValidationError:
    """400 {"detail": "'name' message"}, the shape of every query-parameter error."""
    return ValidationError({"detail": f"'{name}' {message}"})


def given(request, name: str) -> str | None:
    """The trimmed value of a typed query parameter; None when it is left out; 400 when empty."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    raw = raw.strip()
    if not raw:
        raise bad(name, "is empty; leave it out to not filter by it.")
    return raw
