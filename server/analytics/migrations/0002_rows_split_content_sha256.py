"""rows_accepted / rows_excluded (row_count keeps counting every data row) and content_sha256;
existing rows are filled from their report and stored file."""
import hashlib

from django.db import migrations, models


def fill(apps, schema_editor):
    CSVDataset = apps.get_model("analytics", "CSVDataset")
    for ds in CSVDataset.objects.all().iterator():
        report = ds.report or {}
        ds.rows_accepted = report.get("rows_accepted")
        ds.rows_excluded = report.get("rows_excluded")
        try:
            with ds.file.open("rb") as fh:
                ds.content_sha256 = hashlib.sha256(fh.read()).hexdigest()
        except (FileNotFoundError, ValueError, OSError):
            ds.content_sha256 = ""
        ds.save(update_fields=["rows_accepted", "rows_excluded", "content_sha256"])


class Migration(migrations.Migration):

    dependencies = [
        ("analytics", "0001_initial"),
    ]

    operations = [
        migrations.AddField(model_name="csvdataset", name="rows_accepted",
                            field=models.IntegerField(blank=True, null=True)),
        migrations.AddField(model_name="csvdataset", name="rows_excluded",
                            field=models.IntegerField(blank=True, null=True)),
        migrations.AddField(model_name="csvdataset", name="content_sha256",
                            field=models.CharField(blank=True, db_index=True, default="", max_length=64)),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
