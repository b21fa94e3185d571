from decimal import Decimal

from django.db import migrations

# The rules and their defaults as shipped (watchlists.models.RULE_DEFAULTS, as they were
# then); admins edit them.
DEFAULTS = {
    "assets_drop": (
        1,
        Decimal(30),
        Decimal(50),
        None,
        "threshold: % fall month on month (attention); second: % fall over three months "
        "(warning)",
    ),
    "tier_drop": (1, None, None, None, "a customer moved to a lower asset tier"),
    "not_renewed": (
        1,
        Decimal(500000),
        Decimal(30),
        None,
        "threshold: smallest amount (CNY); second: days after maturity without a new "
        "deposit or wealth product",
    ),
    "overdue": (
        1,
        Decimal(1),
        Decimal(30),
        Decimal(90),
        "days overdue for attention, warning and severe; substandard or worse is severe",
    ),
    "downgrade": (2, None, None, None, "any downgrade of classification or rating"),
    "account_status": (2, None, None, None, "a frozen account"),
}


def add_rules(apps, schema_editor):
    WatchRule = apps.get_model("watchlists", "WatchRule")
    for key, (level, t1, t2, t3, note) in DEFAULTS.items():
        WatchRule.objects.get_or_create(
            key=key,
            defaults={
                "level": level,
                "threshold": t1,
                "threshold_2": t2,
                "threshold_3": t3,
                "note": note,
            },
        )
    WatchPolicy = apps.get_model("watchlists", "WatchPolicy")
    WatchPolicy.objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("watchlists", "0001_initial")]

    operations = [migrations.RunPython(add_rules, migrations.RunPython.noop)]
