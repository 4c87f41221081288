"""Every new user gets a profile (role viewer unless one was set before saving)."""
from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import Role, UserProfile


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def create_profile(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        role = getattr(instance, "_initial_role", None) or Role.VIEWER
        UserProfile.objects.get_or_create(user=instance, defaults={"role": role})
