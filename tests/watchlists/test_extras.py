from pathlib import Path

from django import forms

from home import registry
from home.registry import VISIT_OUTCOME, extra_fields, register_form_extra, save_extras


def test_the_visit_forms_carry_the_checklist_and_name_no_module(personas):
    from visits.forms import QuickLogForm

    form = QuickLogForm(actor=personas.rm)
    assert "watch__signals" in form.fields and "watch__level" in form.fields
    visits = Path(registry.__file__).parent.parent / "visits"
    for name in ("forms.py", "views.py"):
        assert "watchlists" not in (visits / name).read_text(encoding="utf-8")


def test_an_extra_of_an_app_that_is_not_installed_leaves_no_trace(personas):
    seen = []

    def fields(user, **subject):
        return {"note": forms.CharField()}

    def save(actor, values, **subject):
        seen.append(values)

    register_form_extra(key="ghost", form=VISIT_OUTCOME, fields=fields, save=save)
    try:
        assert "ghost__note" not in extra_fields(VISIT_OUTCOME, personas.rm)
        save_extras(VISIT_OUTCOME, personas.rm, {"ghost__note": "x"})
        assert seen == []
    finally:
        registry._form_extras.pop("ghost")


def test_each_app_receives_only_its_own_values(personas, monkeypatch):
    seen = []
    monkeypatch.setattr(registry, "_installed", lambda module: True)

    register_form_extra(
        key="other",
        form=VISIT_OUTCOME,
        fields=lambda user, **subject: {"note": forms.CharField()},
        save=lambda actor, values, **subject: seen.append(values),
    )
    try:
        names = set(extra_fields(VISIT_OUTCOME, personas.rm))
        assert {"other__note", "watch__signals"} <= names
        save_extras(VISIT_OUTCOME, personas.rm, {"other__note": "x", "watch__signals": []})
        assert seen == [{"note": "x"}]
    finally:
        registry._form_extras.pop("other")
