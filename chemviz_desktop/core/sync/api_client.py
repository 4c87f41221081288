"""HTTP client for the ChemViz REST API (`/api/v1/`). One `requests.Session` with urllib3
`Retry` (backoff on connection errors, 429 and 5xx) and short timeouts, so a dead server costs
seconds, not minutes. POSTs are retried too: uploads are idempotent through `client_id`."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from chemviz_desktop.core.errors import ExpectedError
from engine.version import APP_NAME, __version__

API_PREFIX = "api/v1/"
RETRY_STATUSES = (429, 500, 502, 503, 504)
# 4xx answers that will not change when the same request is sent again.
PERMANENT_STATUSES = frozenset({400, 403, 404, 405, 409, 410, 413, 415, 422})


class ApiError(ExpectedError):
    """The server answered with an error status; `detail` is its message, `issues` any list."""

    def __init__(self, status: int, detail: str, issues: list | None = None, body: Any = None):
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail
        self.issues = issues or []
        self.body = body

    @property
    def permanent(self) -> bool:
        """True when retrying the same request cannot succeed (validation, role, size...)."""
        return self.status in PERMANENT_STATUSES


class AuthError(ApiError):
    """401: the token is missing, wrong or revoked; the user has to sign in again."""


class Unreachable(ExpectedError):
    """No HTTP answer (connection refused, timeout, DNS...) even after the retries."""


def _why(exc: requests.RequestException) -> str:
    """A network failure in plain words (the exception class names mean nothing to users)."""
    if isinstance(exc, requests.exceptions.SSLError):
        return "the secure connection failed (certificate or TLS settings)"
    if isinstance(exc, requests.exceptions.Timeout):
        return "the server did not answer in time"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return "no connection (is the server running, and is the address right?)"
    if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema)):
        return "the address is not a valid URL"
    return "the request failed before the server answered"


@dataclass
class RetryPolicy:
    """How hard one request tries before giving up; the outbox retries later on top of this."""
    total: int = 3
    backoff_factor: float = 0.5
    backoff_max: float = 8.0
    connect_timeout: float = 3.05
    read_timeout: float = 20.0


def api_base(server_url: str) -> str:
    """Normalise what a user types (`host:8000`, `https://x/`, `https://x/api/v1`) to the API root."""
    url = server_url.strip()
    if "://" not in url:
        url = "http://" + url
    url = url.rstrip("/")
    if url.endswith("/api/v1"):
        url = url[: -len("/api/v1")]
    return url + "/" + API_PREFIX


def server_root(server_url: str) -> str:
    """The server URL without the API suffix, as shown in the status bar."""
    return api_base(server_url)[: -len(API_PREFIX)].rstrip("/")


def is_loopback(url: str) -> bool:
    host = (urlsplit(url if "://" in url else "http://" + url).hostname or "").lower()
    return host in ("localhost", "::1") or host.startswith("127.")


def insecure_http_warning(url: str) -> str | None:
    """A warning when credentials would travel unencrypted (plain http to another machine)."""
    u = url.strip().lower()
    if (u.startswith("http://") or "://" not in u) and not is_loopback(url):
        return ("This server address uses plain http://: your password and data travel unencrypted. "
                "Use https:// unless you trust every network in between.")
    return None


class ApiClient:
    """Thin typed wrapper over the endpoints the desktop needs. Thread-confined like the Session."""

    def __init__(self, server_url: str, token: str | None = None, policy: RetryPolicy | None = None):
        self.base = api_base(server_url)
        self.server_url = server_root(server_url)
        self.token = token
        self.policy = policy or RetryPolicy()
        self.session = requests.Session()
        self.session.headers["User-Agent"] = f"{APP_NAME}-desktop/{__version__}"
        self.session.headers["Accept"] = "application/json"
        retry = Retry(total=self.policy.total, connect=self.policy.total, read=self.policy.total,
                      status=self.policy.total, other=self.policy.total,
                      backoff_factor=self.policy.backoff_factor, backoff_max=self.policy.backoff_max,
                      status_forcelist=RETRY_STATUSES, allowed_methods=None,  # all: requests are idempotent
                      respect_retry_after_header=True, raise_on_status=False)
        adapter = HTTPAdapter(max_retries=retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        # health/ is probed often: one quick try, the caller backs off between probes.
        self._probe = requests.Session()
        self._probe.mount("http://", HTTPAdapter(max_retries=0))
        self._probe.mount("https://", HTTPAdapter(max_retries=0))

    def close(self) -> None:
        self.session.close()
        self._probe.close()

    # -- plumbing -----------------------------------------------------------------------------
    def _request(self, method: str, path: str, *, auth: bool = True, **kw: Any) -> requests.Response:
        headers = dict(kw.pop("headers", {}) or {})
        if auth and self.token:
            headers["Authorization"] = f"Token {self.token}"
        try:
            resp = self.session.request(method, self.base + path, headers=headers,
                                        timeout=(self.policy.connect_timeout, self.policy.read_timeout), **kw)
        except requests.RequestException as exc:
            raise Unreachable(f"{self.server_url} is unreachable: {_why(exc)}") from exc
        if resp.status_code >= 400:
            raise _error(resp)
        return resp

    def _json(self, method: str, path: str, **kw: Any) -> Any:
        return _decode(self._request(method, path, **kw))

    # -- endpoints ------------------------------------------------------------------------------
    def health(self, timeout: float = 2.0) -> bool:
        """True when `health/` answers 200 within `timeout` seconds; never raises."""
        try:
            return self._probe.get(self.base + "health/", timeout=timeout).status_code == 200
        except requests.RequestException:
            return False

    def login(self, username: str, password: str) -> dict:
        """`auth/login/` checks the credentials and returns the user (seed §3.1)."""
        body = self._json("POST", "auth/login/", auth=False, json={"username": username, "password": password})
        return body.get("user", body)

    def obtain_token(self, username: str, password: str) -> str:
        body = self._json("POST", "auth/token/", auth=False, json={"username": username, "password": password})
        self.token = body["token"]
        return self.token

    def sign_in(self, username: str, password: str) -> dict:
        """Login then token; the password is used for these two requests only and not kept."""
        user = self.login(username, password)
        self.obtain_token(username, password)
        return user

    def logout(self) -> None:
        """Revoke the token on the server (a 401 means it is already gone)."""
        try:
            self._request("POST", "auth/logout/")
        except AuthError:
            pass
        self.token = None

    def me(self) -> dict:
        return self._json("GET", "auth/user/me/")

    def upload(self, file_name: str, data: bytes, client_id: str, taken_at: str = "") -> tuple[int, dict]:
        """Upload a CSV with its idempotency key; returns (HTTP status, body). The server answers 200
        with `"created": true` for a new dataset and `false` for a repeat of the key (servers before
        #17 answered 201 for new); the key reused for other bytes is a 409 ApiError (permanent).
        A server with a task queue answers a large file with 202 and an `import_id` to poll
        (`import_job`): the body then names the import, not a dataset. `taken_at` (UTC ISO) is
        when a snapshot's readings were taken here: the server records them at the same time, so
        its alerts have the identity this workstation's have (acknowledgements sync by it)."""
        fields = {"client_id": client_id, **({"taken_at": taken_at} if taken_at else {})}
        resp = self._request("POST", "analytics/csv/upload/", data=fields,
                             headers={"Idempotency-Key": client_id},
                             files={"file": (file_name, data, "text/csv")})
        body = _decode(resp)
        named = (None if not isinstance(body, dict) else body.get("import_id") if resp.status_code == 202
                 else body.get("id", body.get("dataset_id")))
        if named is None:
            raise Unreachable(f"{self.server_url}: incomplete upload answer (HTTP {resp.status_code})")
        return resp.status_code, body

    def import_job(self, import_id: int) -> dict:
        """`analytics/csv/import/{id}/`: a queued upload's status (pending, processing, completed,
        failed), `dataset_id` once completed, `error_log` in the server's words."""
        body = self._json("GET", f"analytics/csv/import/{int(import_id)}/")
        if not isinstance(body, dict) or "status" not in body:
            raise Unreachable(f"{self.server_url}: incomplete import status answer")
        return body

    def datasets(self, limit: int | None = None, *, client_ids: list[str] | None = None,
                 content_sha256: str | None = None, mine: bool = False) -> list[dict]:
        """The newest datasets of the whole team (server default 5, at most 100), optionally only
        those with the given client ids or file hash, or only mine. Callers re-check what they
        filtered on: an older server ignores filters it does not know."""
        params: dict[str, Any] = {}
        if limit:
            params["limit"] = int(limit)
        if client_ids:
            params["client_id"] = ",".join(client_ids)
        if content_sha256:
            params["content_sha256"] = content_sha256
        if mine:
            params["mine"] = "1"
        body = self._json("GET", "analytics/csv/datasets/", params=params or None)
        return list(body.get("results", body if isinstance(body, list) else []))

    def dataset(self, server_id: int) -> dict:
        return self._json("GET", f"analytics/csv/datasets/{int(server_id)}/")

    def export(self, server_id: int) -> bytes:
        resp = self._request("GET", f"analytics/csv/datasets/{int(server_id)}/export/",
                             headers={"Accept": "text/csv, */*;q=0.5"})
        return resp.content

    def delete(self, server_id: int) -> None:
        """Delete on the server; already gone (404) counts as done."""
        try:
            self._request("DELETE", f"analytics/csv/datasets/{int(server_id)}/")
        except ApiError as exc:
            if exc.status != 404:
                raise


    # -- shared records (#19, docs/sync_shared_records.md) ---------------------------------------
    def sync_push(self, ops: list[dict]) -> list[dict]:
        """`sync/push/`: one result per op, in order (a repeated op_id answers `duplicate`)."""
        return list(self._json("POST", "sync/push/", json={"ops": ops}).get("results", []))

    def sync_changes(self, since: int, limit: int) -> dict:
        """`sync/changes/`: {changes, cursor, more} after the cursor `since`."""
        return self._json("GET", "sync/changes/", params={"since": int(since), "limit": int(limit)})

    def sync_conflicts(self) -> list[dict]:
        """`sync/conflicts/?unseen=1`: this user's edits a later edit replaced."""
        return list(self._json("GET", "sync/conflicts/", params={"unseen": "1"}).get("results", []))

    def conflict_seen(self, conflict_id: int) -> None:
        self._json("POST", f"sync/conflicts/{int(conflict_id)}/seen/")


def _decode(resp: requests.Response) -> Any:
    """JSON of a success answer. A body cut short (server killed mid-answer) is a network
    failure, not data: the caller retries, which is safe because every request is idempotent."""
    try:
        return resp.json()
    except ValueError as exc:
        raise Unreachable(f"incomplete answer from {resp.url} (HTTP {resp.status_code})") from exc


def _error(resp: requests.Response) -> ApiError:
    """Turn an error response into ApiError/AuthError with the server's own message."""
    body: Any = None
    try:
        body = resp.json()
    except ValueError:
        body = None
    detail: str = ""
    issues: list[Any] = []
    if isinstance(body, dict):
        detail = str(body.get("detail") or body.get("message") or body.get("error") or "")
        issues = body.get("issues") or []
        if not detail:
            detail = "; ".join(f"{k}: {v}" for k, v in body.items())
    if not detail:
        detail = resp.reason or f"HTTP {resp.status_code}"
    cls = AuthError if resp.status_code == 401 else ApiError
    return cls(resp.status_code, detail, issues, body)
