from django.db import migrations

# (code, name, English name, order, probability, days before stale, final, won, suitability)
STAGES = [
    ("identified", "线索", "Identified", 10, 10, 14, False, False, False),
    ("contacted", "已接触", "Contacted", 20, 20, 14, False, False, False),
    ("needs_confirmed", "需求确认", "Needs confirmed", 30, 40, 21, False, False, False),
    ("proposal", "方案", "Proposal", 40, 60, 21, False, False, True),
    ("negotiation", "谈判审批", "Negotiation / approval", 50, 80, 30, False, False, True),
    ("won", "成交", "Won", 60, 100, 0, True, True, True),
    ("lost", "未成交", "Lost", 70, 0, 0, True, False, False),
]
REASONS = [
    ("价格或利率没有竞争力", "Price or rate not competitive", False),
    ("选择了他行", "Chose another bank", False),
    ("客户需求变化", "The customer's need changed", False),
    ("资金不足或另有安排", "No funds, or funds used otherwise", False),
    ("风险不匹配", "Risk did not suit", False),
    ("其他", "Other", True),
]


def add(apps, schema_editor):
    Stage = apps.get_model("opportunities", "Stage")
    LostReason = apps.get_model("opportunities", "LostReason")
    for code, name, name_en, order, prob, stale, final, won, suits in STAGES:
        Stage.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "order": order,
                "probability": prob,
                "stale_days": stale,
                "is_final": final,
                "is_won": won,
                "checks_suitability": suits,
            },
        )
    for order, (name, name_en, note) in enumerate(REASONS):
        LostReason.objects.get_or_create(
            name=name, defaults={"name_en": name_en, "needs_note": note, "order": order}
        )


class Migration(migrations.Migration):
    dependencies = [("opportunities", "0001_initial")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
