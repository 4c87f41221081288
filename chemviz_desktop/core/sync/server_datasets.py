"""How a server dataset's JSON is read on the workstation: the local uuid that names it (its
client_id, else one derived from id, owner and upload time, so ids reused after a server reset
never match), its owner, its row counts, and whether this user may delete it there."""
from __future__ import annotations

import uuid as uuidlib

from chemviz_desktop.core.store import DatasetInfo


def can_delete_on_server(info: DatasetInfo, role: str, username: str) -> bool:
    """Mirror of the server's rule: admins delete anything, engineers their own, viewers nothing."""
    if info.server_id is None:
        return False
    return role == "admin" or (role == "engineer" and info.server_owner == username)


def server_uuid(server_url: str, server_id: int, owner: str = "", uploaded_at: str = "") -> str:
    """A stable local uuid for a server dataset uploaded without a client_id (e.g. from the web).
    Owner and upload time are part of it, so a reused id after a server reset is a new dataset."""
    key = f"{server_url.rstrip('/')}/datasets/{server_id}"
    if owner or uploaded_at:
        key += f"/{owner}/{uploaded_at}"
    return str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, key))


def owner_of(d: dict) -> str:
    return (d.get("uploaded_by") or {}).get("username", "") or ""


def identity(server_url: str, d: dict) -> str:
    """The local uuid naming server dataset `d`: its client_id, else one derived from id, owner
    and upload time."""
    cid = d.get("client_id")
    if cid:
        return str(cid)
    return server_uuid(server_url, int(d["id"]), owner_of(d), str(d.get("uploaded_at") or ""))


def row_counts(d: dict) -> tuple[int, int, int]:
    """(total, accepted, excluded) as the server means them: `row_count` counts every data row,
    `rows_accepted`/`rows_excluded` split it. An older server without the split: from the report,
    else all rows count as accepted (what it said)."""
    total = int(d.get("row_count") or 0)
    if d.get("rows_accepted") is not None:
        accepted = int(d["rows_accepted"])
        raw_excluded = d.get("rows_excluded")
        excluded = int(raw_excluded) if raw_excluded is not None else total - accepted
        return total, accepted, excluded
    report = d.get("report") or {}
    if isinstance(report, dict) and report.get("rows_accepted") is not None:
        accepted = int(report["rows_accepted"])
        return total, accepted, int(report.get("rows_excluded", total - accepted))
    return total, total, 0
