"""The database cache's table (settings.CACHES), made by migrate so that no setup step is missed.

The cache holds the sign-in delay's counts and the e-mails' resend limits; every process must see
the same ones. ``createcachetable`` makes the table of each DatabaseCache configured (none when
REDIS_URL selects Redis) and leaves an existing one alone.
"""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_totp_devices_and_account_events")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
