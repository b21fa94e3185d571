from decimal import Decimal

from django.db import migrations

# The rules and their defaults as shipped (watchlists.models.RULE_DEFAULTS); admins edit them.
DEFAULTS = {
    "assets_drop": (1, Decimal(30), Decimal(50), None),
    "tier_drop": (1, None, None, None),
    "not_renewed": (1, Decimal(500000), Decimal(30), None),
    "overdue": (1, Decimal(1), Decimal(30), Decimal(90)),
    "downgrade": (2, None, None, None),
    "account_status": (2, None, None, None),
}


def add_rules(apps, schema_editor):
    from watchlists.models import RULE_DEFAULTS

    WatchRule = apps.get_model("watchlists", "WatchRule")
    for key, (level, t1, t2, t3) in DEFAULTS.items():
        WatchRule.objects.get_or_create(
            key=key,
            defaults={
                "level": level,
                "threshold": t1,
                "threshold_2": t2,
                "threshold_3": t3,
                "note": RULE_DEFAULTS[key][4],
            },
        )
    WatchPolicy = apps.get_model("watchlists", "WatchPolicy")
    WatchPolicy.objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("watchlists", "0001_initial")]

    operations = [migrations.RunPython(add_rules, migrations.RunPython.noop)]
