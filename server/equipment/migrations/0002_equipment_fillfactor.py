"""PostgreSQL: leave 30 % of each page of the equipment table free (fillfactor 70).

Every upload rewrites the current values of each equipment it names. With full pages
(fillfactor 100) each new row version went to another page and into all four indexes; with room
on the page PostgreSQL updates in place (a HOT update: no index writes). A 5,000-row upload of
known equipment: the UPDATE took 155-219 ms and the whole upload 509-712 ms; with this, 36-48 ms
and 255-477 ms (six uploads each, test database). The table holds one row per equipment, so the
space it costs is small. SQLite has no such setting: nothing happens there."""
from django.db import migrations


FILLFACTOR = 70


def _alter(apps, schema_editor, option: str) -> None:
    if schema_editor.connection.vendor == "postgresql":
        table = schema_editor.quote_name(apps.get_model("equipment", "Equipment")._meta.db_table)
        schema_editor.execute(f"ALTER TABLE {table} {option}")


def set_fillfactor(apps, schema_editor):
    _alter(apps, schema_editor, f"SET (fillfactor = {FILLFACTOR})")


def reset_fillfactor(apps, schema_editor):
    _alter(apps, schema_editor, "RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("equipment", "0001_initial")]
    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor)]
