"""Seed §3.1 auth endpoints: session login/logout, token issue and the current user's profile."""
from __future__ import annotations

from django.contrib.auth import authenticate, get_user_model, login, logout
from django.middleware.csrf import get_token
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authentication import BasicAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from server.api.origin import foreign_origin
from server.api.throttles import ScopedThrottle

from .authentication import token_expired
from .serializers import (
    CredentialsSerializer,
    LoginResponseSerializer,
    MeSerializer,
    MessageSerializer,
    TokenResponseSerializer,
    UserSerializer,
)

INVALID = "Invalid username or password."


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

    @extend_schema(request=CredentialsSerializer, responses={200: LoginResponseSerializer})
    def post(self, request):
        foreign = foreign_origin(request)
        if foreign is not None:   # login CSRF: another site must not sign a browser in
            return Response({"detail": f"Sign-in from another origin ({foreign[:100]}) is refused; "
                                       "add it to CSRF_TRUSTED_ORIGINS if it is yours."},
                            status=status.HTTP_403_FORBIDDEN)
        user, error = _check_credentials(request)
        if error is not None:
            return error
        login(request._request, user)
        get_token(request._request)  # sets the csrftoken cookie for session clients
        return Response({"user": UserSerializer(user).data, "message": "Login successful"})


class TokenView(CredentialView):
    throttle_scope = "token"

    @extend_schema(request=CredentialsSerializer, responses={200: TokenResponseSerializer})
    def post(self, request):
        user, error = _check_credentials(request)
        if error is not None:
            return error
        token, _ = Token.objects.get_or_create(user=user)
        if token_expired(token):   # an expired token is replaced, never handed out again
            token.delete()
            token = Token.objects.create(user=user)
        return Response({"token": token.key, "user": UserSerializer(user).data})


class LogoutView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: MessageSerializer})
    def post(self, request):
        if isinstance(request.auth, Token):
            request.auth.delete()   # token-authenticated: the token used is revoked
        elif isinstance(request.successful_authenticator, BasicAuthentication):
            Token.objects.filter(user=request.user).delete()   # the password proves the token's owner
        logout(request._request)
        return Response({"message": "Logout successful"})


class MeView(APIView):
    @extend_schema(responses={200: MeSerializer})
    def get(self, request):
        return Response(MeSerializer(request.user).data)
