"""Sign in / restore / sign out, shared by the dialog, the controller and the CLI. The password
only ever reaches the two auth requests; what is kept is the token (keychain, with "remember
me") and a secret-free account.json (server URL, user name, role) for the next start."""
from __future__ import annotations

from dataclasses import dataclass

from chemviz_desktop.core.errors import describe
from chemviz_desktop.core.sync.api_client import ApiClient, ApiError, RetryPolicy, Unreachable, server_root
from chemviz_desktop.core.sync.credentials import AccountFile, delete_token, load_token, save_token


@dataclass
class Session:
    server_url: str
    username: str
    token: str
    role: str = ""
    remember: bool = False

    def client(self, policy: RetryPolicy | None = None) -> ApiClient:
        return ApiClient(self.server_url, token=self.token, policy=policy)


def sign_in(server_url: str, username: str, password: str, remember: bool = False,
            policy: RetryPolicy | None = None) -> tuple[Session, str | None]:
    """Returns the session and, when remembering failed, a message for the user.
    Raises ApiError/AuthError (bad credentials) or Unreachable."""
    client = ApiClient(server_url, policy=policy)
    try:
        user = client.sign_in(username, password)
        role = str(user.get("role") or "")
        if not role:
            role = str(client.me().get("role") or "")
    finally:
        client.close()
    session = Session(client.server_url, username, client.token or "", role, remember)
    note = save_token(session.server_url, username, session.token) if remember else None
    if note:
        session.remember = False
    else:
        if not remember:  # an older remembered token for this account must not outlive this choice
            delete_token(session.server_url, username)
    AccountFile(session.server_url, username, session.remember, role).save()
    return session, note


def restore() -> Session | None:
    """The remembered session from the last run (token from the keychain), if any."""
    acct = AccountFile.load()
    if not (acct.server_url and acct.username and acct.remember):
        return None
    token = load_token(acct.server_url, acct.username)
    if not token:
        return None
    return Session(acct.server_url, acct.username, token, acct.role, True)


def last_account() -> AccountFile:
    return AccountFile.load()


def sign_out(session: Session, policy: RetryPolicy | None = None) -> str | None:
    """Revoke the token on the server, forget it locally. Returns a note if the server could
    not be told (the token is still forgotten here)."""
    note = None
    client = session.client(policy or RetryPolicy(total=1))
    try:
        client.logout()
    except Unreachable:
        note = "The server could not be reached; the sign-in was removed from this computer only."
    finally:
        client.close()
    delete_token(session.server_url, session.username)
    acct = AccountFile.load()
    AccountFile(acct.server_url or server_root(session.server_url), acct.username or session.username,
                False, "").save()
    return note


def sign_in_problem(exc: BaseException) -> str:
    """Why a sign-in failed, telling an unreachable server apart from refused credentials."""
    if isinstance(exc, Unreachable):
        return f"Server unreachable: {exc}"
    if isinstance(exc, ApiError):
        if exc.status in (400, 401):
            return f"Wrong user name or password ({exc.detail})"
        if exc.status == 429:
            return f"Too many sign-in attempts; wait a minute and try again ({exc.detail})"
        return f"The server refused the sign-in: {exc.detail}"
    return describe(exc, doing="signing in")

