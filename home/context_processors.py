from django.urls import NoReverseMatch, reverse

from .registry import nav_entries_for


def navigation(request):
    """The navigation of the user's role, as installed apps register it (home.registry).
    An entry whose URL does not resolve is left out rather than shown broken."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    current = getattr(request.resolver_match, "url_name", None)
    items = []
    for entry in nav_entries_for(user.role):
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue
        items.append(
            {
                "name": entry.url_name,
                "label": entry.label,
                "url": url,
                "active": entry.url_name == current,
                "badge": entry.badge(user) if entry.badge else 0,
            }
        )
    return {"nav_items": items}
