"""A deleted dataset takes its stored CSV (and its cached export) with it, once the deleting
transaction commits (API delete, retention, Django admin alike)."""
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from . import export_cache
from .models import CSVDataset


@receiver(post_delete, sender=CSVDataset)
def delete_file(sender, instance, **kwargs):
    if instance.file and instance.file.name:
        storage, name = instance.file.storage, instance.file.name

        def remove() -> None:
            storage.delete(name)
            export_cache.forget(name)
        transaction.on_commit(remove)
