from django.db import migrations

MATERIALS = ["名片", "产品宣传册", "风险承受能力评估问卷", "现金流量表", "计算器"]
# Visit intervals per asset tier, in days: private banking monthly, wealth quarterly.
COVERAGE = {"private": 30, "wealth": 90, "wealth_mgmt": 180}


def forwards(apps, schema_editor):
    Material = apps.get_model("visits", "Material")
    CoverageRule = apps.get_model("visits", "CoverageRule")
    AssetTier = apps.get_model("customers", "AssetTier")
    for position, name in enumerate(MATERIALS):
        Material.objects.get_or_create(name=name, defaults={"position": position})
    for code, days in COVERAGE.items():
        tier = AssetTier.objects.filter(code=code).first()
        if tier:
            CoverageRule.objects.get_or_create(asset_tier=tier, defaults={"interval_days": days})


class Migration(migrations.Migration):
    dependencies = [("visits", "0001_initial"), ("customers", "0002_default_rules")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
