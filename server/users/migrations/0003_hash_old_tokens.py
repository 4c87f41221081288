"""Existing installs: the DRF tokens (plain text in authtoken_token, one per user) become desktop
APITokens stored as their SHA-256, so signed-in desktops stay signed in; the plain-text rows are
then deleted (on SQLite with secure_delete, so the keys are overwritten, not left in free pages).
Tokens already past CHEMVIZ_TOKEN_DAYS are dropped, not carried over. Not reversible: the keys
cannot be recovered from their digests (going back leaves every client to sign in again)."""
import hashlib
from datetime import timedelta

from django.conf import settings
from django.db import migrations
from django.utils import timezone


def hash_old_tokens(apps, schema_editor):
    try:
        Token = apps.get_model("authtoken", "Token")
    except LookupError:   # rest_framework.authtoken not installed: nothing to carry over
        return
    APIToken = apps.get_model("users", "APIToken")
    days = timedelta(days=getattr(settings, "CHEMVIZ_TOKEN_DAYS", 30))
    now = timezone.now()
    for old in Token.objects.all().iterator():
        expires = old.created + days
        if expires <= now or APIToken.objects.filter(user_id=old.user_id, client_type="desktop").exists():
            continue
        row = APIToken.objects.create(user_id=old.user_id, client_type="desktop", expires_at=expires,
                                      token=hashlib.sha256(old.key.encode()).hexdigest())
        APIToken.objects.filter(pk=row.pk).update(created_at=old.created)
    connection = schema_editor.connection
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete = ON")
    Token.objects.all().delete()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete = OFF")


class Migration(migrations.Migration):

    dependencies = [("users", "0002_apitoken")] + (
        [("authtoken", "0004_alter_tokenproxy_options")]
        if "rest_framework.authtoken" in settings.INSTALLED_APPS else [])

    operations = [migrations.RunPython(hash_old_tokens, migrations.RunPython.noop)]
