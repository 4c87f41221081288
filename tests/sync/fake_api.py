"""An in-process stand-in for ApiClient, following the server's contract (issue 4): uploads
keyed by (user, client_id) return 200 on a repeat, viewers get 403, bad files 400. Row counts as
the server means them: `row_count` = every data row, `rows_accepted`/`rows_excluded` split it;
`content_sha256` of the bytes; list filters client_id / content_sha256 / mine. Checked against
the real server by tests/sync/test_contract.py (same assertions on both)."""
from __future__ import annotations

import hashlib

import engine
from chemviz_desktop.core.sync.api_client import ApiError, AuthError, Unreachable


class FakeApi:
    server_url = "http://fake.test"

    def __init__(self, username: str = "alice", role: str = "engineer"):
        self.username, self.role = username, role
        self.rows: dict[int, dict] = {}
        self.files: dict[int, bytes] = {}
        self.next_id = 1
        self.uploads = 0
        self.down = False
        self.token_valid = True
        self.fail_next: list[Exception] = []   # raised by the next calls, in order
        self.lose_answer_next = False           # commit the upload, then "time out"
        self.calls: list[str] = []

    # -- shared records (#19): accepted as they come; the real server's merge is tested there --
    def _shared_up(self) -> None:
        if self.down:
            raise Unreachable("fake server down")

    def sync_push(self, ops: list[dict]) -> list[dict]:
        self._shared_up()
        self.shared_ops = getattr(self, "shared_ops", []) + list(ops)
        return [{"op_id": o["op_id"], "kind": o["kind"], "key": o["key"], "outcome": "applied", "version": 1,
                 "exists": not o.get("delete"), "fields": dict(o.get("set") or {}), "conflicts": []} for o in ops]

    def sync_changes(self, since: int, limit: int) -> dict:
        self._shared_up()
        return {"changes": [], "cursor": since, "more": False}

    def sync_conflicts(self) -> list[dict]:
        self._shared_up()
        return []

    def conflict_seen(self, conflict_id: int) -> None:
        self._shared_up()

    def _enter(self, name: str) -> None:
        self.calls.append(name)
        if self.down:
            raise Unreachable("fake server down")
        if self.fail_next and name != "lookup":   # scripted failures aim at the real requests
            raise self.fail_next.pop(0)
        if not self.token_valid:
            raise AuthError(401, "Invalid token.")

    def upload(self, file_name: str, data: bytes, client_id: str, taken_at: str = ""):
        self._enter("upload")
        if self.role == "viewer":
            raise ApiError(403, "You do not have permission to perform this action.")
        for r in self.rows.values():
            if r["client_id"] == client_id and r["uploaded_by"]["username"] == self.username:
                if r["content_sha256"] != hashlib.sha256(data).hexdigest():
                    raise ApiError(409, "This client_id was already used for a different file.")
                return 200, {**r, "created": False}
        res = engine.load(data, file_name=file_name)
        if not res.accepted:
            raise ApiError(400, res.report.summary(),
                           [{"message": i.message} for i in res.report.file_errors])
        sid = self.next_id
        self.next_id += 1
        self.uploads += 1      # the upload clock survives a wipe, like a real server's
        self.rows[sid] = {"id": sid, "file_name": file_name, "client_id": client_id,
                          "uploaded_by": {"id": 1, "username": self.username},
                          "uploaded_at": f"2026-01-01T{self.uploads // 3600:02d}:{self.uploads // 60 % 60:02d}:"
                                         f"{self.uploads % 60:02d}Z",
                          "row_count": res.report.rows_total, "rows_accepted": res.report.rows_accepted,
                          "rows_excluded": res.report.rows_excluded,
                          "content_sha256": hashlib.sha256(data).hexdigest(),
                          "status": "completed", "statistics": res.statistics,
                          "report": res.report.to_dict()}
        self.files[sid] = res.clean().to_csv(index=False).encode()
        if self.lose_answer_next:
            self.lose_answer_next = False
            raise Unreachable("read timed out")
        return 200, {**self.rows[sid], "created": True}

    def add_foreign(self, file_name: str, data: bytes, owner: str = "bob", client_id: str | None = None) -> int:
        saved, self.username = self.username, owner
        try:
            _, body = self.upload(file_name, data, client_id or f"foreign-{self.next_id}")
        finally:
            self.username = saved
        if client_id is None:
            self.rows[body["id"]]["client_id"] = None
        return body["id"]

    def datasets(self, limit=None, *, client_ids=None, content_sha256=None, mine=False):
        self._enter("lookup" if content_sha256 else "datasets")
        rows = sorted(self.rows.values(), key=lambda r: -r["id"])
        if client_ids:
            rows = [r for r in rows if r["client_id"] in set(client_ids)]
        if content_sha256:
            rows = [r for r in rows if r["content_sha256"] == content_sha256]
        if mine:
            rows = [r for r in rows if r["uploaded_by"]["username"] == self.username]
        return [dict(r) for r in rows][:min(limit or 5, 100)]

    def dataset(self, sid: int):
        self._enter("dataset")
        if sid not in self.rows:
            raise ApiError(404, "Not found.")
        return dict(self.rows[sid])

    def export(self, sid: int) -> bytes:
        self._enter("export")
        if sid not in self.files:
            raise ApiError(404, "Not found.")
        return self.files[sid]

    def delete(self, sid: int) -> None:
        self._enter("delete")
        self.rows.pop(sid, None)
        self.files.pop(sid, None)

    def wipe(self) -> None:
        """The server's database was reset: everything gone, ids start again at 1."""
        self.rows.clear()
        self.files.clear()
        self.next_id = 1

    def count(self, client_id: str) -> int:
        return sum(1 for r in self.rows.values() if r["client_id"] == client_id)
