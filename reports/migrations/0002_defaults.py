from django.db import migrations


def forwards(apps, schema_editor):
    from reports.defaults import install

    install(apps)


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
