"""User JSON shapes of seed §3.1 (login response) and GET auth/user/me/."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from rest_framework import serializers

from .models import ClientType, role_of


class UserSerializer(serializers.ModelSerializer):
    role = serializers.SerializerMethodField()
    department = serializers.SerializerMethodField()

    class Meta:
        model = get_user_model()
        fields = ["id", "username", "email", "first_name", "last_name", "role", "department"]

    def get_role(self, user) -> str:
        return role_of(user)

    def get_department(self, user) -> str | None:
        profile = getattr(user, "profile", None)
        return profile.department if profile else None


class MeSerializer(UserSerializer):
    class Meta(UserSerializer.Meta):
        fields = UserSerializer.Meta.fields + ["date_joined"]


class CredentialsSerializer(serializers.Serializer):
    username = serializers.CharField(min_length=1, max_length=150)
    password = serializers.CharField(min_length=1, max_length=1024, trim_whitespace=False,
                                     style={"input_type": "password"})


class TokenRequestSerializer(CredentialsSerializer):
    client_type = serializers.ChoiceField(
        choices=ClientType.choices, default=ClientType.DESKTOP, required=False,
        help_text="Which client the token is for: a new sign-in replaces that client's token only "
                  "(default desktop, what clients before per-client tokens were).")


class LoginResponseSerializer(serializers.Serializer):
    user = UserSerializer()
    message = serializers.CharField()


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Shown once: the server keeps only its SHA-256.")
    user = UserSerializer()
    client_type = serializers.ChoiceField(choices=ClientType.choices)
    expires_at = serializers.DateTimeField()


class MessageSerializer(serializers.Serializer):
    message = serializers.CharField()
