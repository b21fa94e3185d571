import re

from django import forms

from crm.forms import QuickSelect, StyledFormMixin


def squeeze(html: str) -> str:
    return re.sub(r">\s+<", "><", html).strip()


CHOICES = [("", "---"), ("a", "A & <b>"), ("Group", [("x", "X"), ("y", "Y")])]


def test_quick_select_writes_the_same_markup_as_djangos_select():
    for value in (None, "", "a", "x", ["a"]):
        attrs = {"class": "form-select", "id": "id_k", "required": True}
        expected = forms.Select(choices=CHOICES, attrs=attrs).render("k", value)
        assert squeeze(QuickSelect(choices=CHOICES, attrs=attrs).render("k", value)) == squeeze(
            expected
        )
    assert "&lt;b&gt;" in QuickSelect(choices=CHOICES).render("k", "a")


def test_styled_forms_use_quick_selects_but_leave_special_widgets_alone():
    class Form(StyledFormMixin, forms.Form):
        plain = forms.ChoiceField(choices=CHOICES)
        radio = forms.ChoiceField(choices=CHOICES, widget=forms.RadioSelect)
        many = forms.MultipleChoiceField(choices=CHOICES)

    form = Form()
    assert type(form.fields["plain"].widget) is QuickSelect
    assert type(form.fields["radio"].widget) is forms.RadioSelect
    assert type(form.fields["many"].widget) is forms.SelectMultiple
