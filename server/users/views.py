"""Seed §3.1 auth endpoints: session login/logout, token issue and the current user's profile.

Tokens are per client (server.users.tokens): `auth/token/` (and `auth/login/` when the body names a
`client_type`) issues a new token for that client, replacing only that client's previous one.
`auth/logout/` with a token revokes that token only; with Basic it revokes the named client's
token, or all of the user's tokens when no `client_type` is sent (the password proves the owner)."""
from __future__ import annotations

from django.contrib.auth import authenticate, get_user_model, login, logout
from django.middleware.csrf import get_token
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authentication import BasicAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from server.api.origin import foreign_origin
from server.api.throttles import ScopedThrottle

from . import tokens
from .models import APIToken, ClientType
from .serializers import (
    CredentialsSerializer,
    LoginResponseSerializer,
    MeSerializer,
    MessageSerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
    UserSerializer,
)

INVALID = "Invalid username or password."


CLIENT_TYPES = ", ".join(f"'{c}'" for c in ClientType.values)


def _client_type(request) -> tuple[str | None, Response | None]:
    """The body's optional client_type: (value or None, None) or (None, 400 Response)."""
    raw = request.data.get("client_type") if hasattr(request.data, "get") else None
    if raw in (None, ""):
        return None, None
    if raw not in ClientType.values:
        return None, Response({"detail": f"client_type must be one of {CLIENT_TYPES}."},
                              status=status.HTTP_400_BAD_REQUEST)
    return raw, None


def _token_body(user, client_type: str) -> dict:
    key, row = tokens.issue(user, client_type)
    return {"token": key, "client_type": row.client_type, "expires_at": row.expires_at}


def _check_credentials(request):
    """(user, None) or (None, error Response). Never tells whether the user exists."""
    ser = CredentialsSerializer(data=request.data)
    if not ser.is_valid():
        return None, Response({"detail": "Send a username and a password.", "errors": ser.errors},
                              status=status.HTTP_400_BAD_REQUEST)
    username, password = ser.validated_data["username"], ser.validated_data["password"]
    user = authenticate(request._request, username=username, password=password)
    if user is not None:
        return user, None
    inactive = get_user_model().objects.filter(username=username, is_active=False).first()
    if inactive is not None and inactive.check_password(password):
        return None, Response({"detail": "This account is inactive."}, status=status.HTTP_401_UNAUTHORIZED,
                              headers={"WWW-Authenticate": 'Basic realm="api"'})
    return None, Response({"detail": INVALID}, status=status.HTTP_400_BAD_REQUEST)


class CredentialView(APIView):
    authentication_classes: list = []   # a stale session must not trigger CSRF checks here
    permission_classes = [AllowAny]
    throttle_classes = [ScopedThrottle]


class LoginView(CredentialView):
    throttle_scope = "login"

    @extend_schema(request=CredentialsSerializer, responses={200: LoginResponseSerializer},
                   description="Starts a session. With a `client_type` in the body the answer also "
                               "carries a token for that client (`token`, `client_type`, `expires_at`), "
                               "as auth/token/ gives.")
    def post(self, request):
        foreign = foreign_origin(request)
        if foreign is not None:   # login CSRF: another site must not sign a browser in
            return Response({"detail": f"Sign-in from another origin ({foreign[:100]}) is refused; "
                                       "add it to CSRF_TRUSTED_ORIGINS if it is yours."},
                            status=status.HTTP_403_FORBIDDEN)
        client_type, error = _client_type(request)
        if error is not None:
            return error
        user, error = _check_credentials(request)
        if error is not None:
            return error
        login(request._request, user)
        get_token(request._request)  # sets the csrftoken cookie for session clients
        body = {"user": UserSerializer(user).data, "message": "Login successful"}
        if client_type is not None:
            body.update(_token_body(user, client_type))
        return Response(body)


class TokenView(CredentialView):
    throttle_scope = "token"

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenResponseSerializer},
                   description="A new token for the client (`client_type`, default desktop); that "
                               "client's previous token stops working, other clients keep theirs. "
                               "The key is shown only here: the server stores its SHA-256.")
    def post(self, request):
        client_type, error = _client_type(request)
        if error is not None:
            return error
        user, error = _check_credentials(request)
        if error is not None:
            return error
        body = _token_body(user, client_type or ClientType.DESKTOP)
        return Response({"token": body["token"], "user": UserSerializer(user).data,
                         "client_type": body["client_type"], "expires_at": body["expires_at"]})


class LogoutView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: MessageSerializer},
                   description="With a token: revokes that token only. With Basic: revokes the "
                               "token of the body's `client_type`, or all the user's tokens when "
                               "none is named. With a session: ends the session.")
    def post(self, request):
        if isinstance(request.auth, APIToken):
            request.auth.delete()   # token-authenticated: only the token used is revoked
        elif isinstance(request.successful_authenticator, BasicAuthentication):
            client_type, error = _client_type(request)
            if error is not None:
                return error
            if client_type is None:
                tokens.revoke_all(request.user)   # the password proves the tokens' owner
            else:
                APIToken.objects.filter(user=request.user, client_type=client_type).delete()
        logout(request._request)
        return Response({"message": "Logout successful"})


class MeView(APIView):
    @extend_schema(responses={200: MeSerializer})
    def get(self, request):
        return Response(MeSerializer(request.user).data)
