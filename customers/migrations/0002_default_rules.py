from decimal import Decimal

from django.db import migrations

# Defaults from one large bank's published rules; admins change them in the Django admin.
ASSET_TIERS = [
    ("wealth_mgmt", "理财客户", "Wealth management", Decimal("200000")),
    ("wealth", "财富客户", "Wealth", Decimal("1000000")),
    ("private", "私人银行客户", "Private banking", Decimal("6000000")),
]
STAR_RULES = [(1, Decimal("0.01")), (3, 50), (4, 500), (5, 2000), (6, 10000), (7, 80000)]


def forwards(apps, schema_editor):
    AssetTier = apps.get_model("customers", "AssetTier")
    StarRule = apps.get_model("customers", "StarRule")
    TierPolicy = apps.get_model("customers", "TierPolicy")
    for code, name, name_en, min_assets in ASSET_TIERS:
        AssetTier.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "min_assets": min_assets}
        )
    for level, min_points in STAR_RULES:
        StarRule.objects.get_or_create(level=level, defaults={"min_points": Decimal(min_points)})
    TierPolicy.objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
