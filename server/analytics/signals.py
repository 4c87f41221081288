"""A deleted dataset takes its stored CSV with it, once the deleting transaction commits
(API delete, retention, Django admin alike)."""
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from .models import CSVDataset


@receiver(post_delete, sender=CSVDataset)
def delete_file(sender, instance, **kwargs):
    if instance.file and instance.file.name:
        storage, name = instance.file.storage, instance.file.name
        transaction.on_commit(lambda: storage.delete(name))
