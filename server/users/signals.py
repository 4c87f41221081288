"""Every new user gets a profile (role viewer unless one was set before saving); a new password
revokes all of the user's API tokens, every client (adduser, admin, changepassword, a password
reset alike); every failed sign-in (API,
Basic, admin) is counted for the lockout."""
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from . import guard
from .models import Role, UserProfile


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def create_profile(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        role = getattr(instance, "_initial_role", None) or Role.VIEWER
        UserProfile.objects.get_or_create(user=instance, defaults={"role": role})


@receiver(user_login_failed)
def count_failure(sender, credentials, request=None, **kwargs):
    guard.record_failure(credentials.get("username"), request)


@receiver(pre_save, sender=settings.AUTH_USER_MODEL)
def revoke_tokens_on_new_password(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or instance.pk is None or (update_fields is not None and "password" not in update_fields):
        return
    old = sender.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    if old is not None and old != instance.password:
        from .tokens import revoke_all
        revoke_all(instance.pk)
