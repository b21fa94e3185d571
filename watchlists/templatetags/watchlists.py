from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """``{{ related|get_item:item.pk }}``: a dict's value, or None."""
    return (mapping or {}).get(key)
