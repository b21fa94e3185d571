"""Panels and navigation entries that apps contribute to the pages the core composes.

An app adds to the role home pages, the customer 360 page, the visit brief and the navigation
by registering here, from a ``panels.py`` or ``nav.py`` module of its own (found at start-up
like ``admin.py``) or from its ``AppConfig.ready``. The pages loop over what is registered;
they name no app.

The rule every page follows: it shows exactly the panels registered for its slot and the
user's role, and the navigation exactly the entries registered for the user's role whose URL
exists, both **by apps that are installed**, in their ``order``. An app that is not installed
leaves no trace: no placeholder, no greyed-out entry.

This module imports no app of the project, so every layer may register here without
importing a higher one.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps

RM_HOME = "rm_home"
HEAD_HOME = "head_home"
ADMIN_HOME = "admin_home"
CUSTOMER_360 = "customer_360"
VISIT_BRIEF = "visit_brief"
SLOTS = (RM_HOME, HEAD_HOME, ADMIN_HOME, CUSTOMER_360, VISIT_BRIEF)

# The forms other apps may add fields to (``register_form_extra``).
VISIT_OUTCOME = "visit_outcome"  # logging a visit's outcome, and the quick log on a phone
FORMS = (VISIT_OUTCOME,)

# The role home page of each role (the values of accounts.User.Role).
HOME_SLOT_OF_ROLE = {"rm": RM_HOME, "head": HEAD_HOME, "risk": HEAD_HOME, "admin": ADMIN_HOME}


@dataclass(frozen=True)
class Panel:
    """One block on a composed page.

    ``context(user, **subject)`` returns the panel's template context, or ``None`` to leave
    the panel out for this user and subject. The home pages pass no subject, the 360 page
    ``customer=``, the visit brief ``visit=`` and ``customer=``; the page has already checked
    that the user may see them. The function reads everything through the user's scope
    (``visible_to(user)``) and makes a fixed number of queries, whatever the number of rows.
    """

    key: str
    slot: str
    template: str
    context: Callable[..., dict | None]
    roles: frozenset[str] | None = None  # None: every role
    order: int = 100

    @property
    def module(self) -> str:
        return self.context.__module__


@dataclass(frozen=True)
class NavEntry:
    """One link of the main navigation: ``url_name`` reversed without arguments.

    ``badge(user)``, when given, returns a number shown beside the label (0 shows nothing); it
    is called once per page view, so it is one cheap query at most.
    """

    url_name: str
    label: str
    roles: frozenset[str]
    order: int = 100
    badge: Callable[..., int] | None = None
    module: str = ""


_panels: dict[str, Panel] = {}
_nav_entries: dict[tuple[str, frozenset[str]], NavEntry] = {}


def _installed(module: str) -> bool:
    return apps.get_containing_app_config(module) is not None


def register_panel(*, key: str, slot: str, template: str, roles=None, order: int = 100):
    """Decorator for a panel's context function: ``@register_panel(key="visits-today",
    slot=RM_HOME, template="visits/panels/today.html", roles={"rm"}, order=10)``.

    ``key`` names the panel (``app-thing``); registering the same key again replaces it.
    """
    if slot not in SLOTS:
        raise ValueError(f"Unknown panel slot {slot!r}; one of {', '.join(SLOTS)}.")

    def decorator(context):
        _panels[key] = Panel(
            key=key,
            slot=slot,
            template=template,
            context=context,
            roles=frozenset(roles) if roles is not None else None,
            order=order,
        )
        return context

    return decorator


def register_nav_entry(*, url_name: str, label, roles, order: int = 100, badge=None, module=""):
    """Add a link to the navigation of ``roles``. The same URL name may be registered again
    for other roles (with another label); the same URL name and roles replace the entry.
    ``module`` is the registering module (``__name__``): the entry shows only while its app
    is installed."""
    if not module:
        raise ValueError("register_nav_entry needs module=__name__.")
    roles = frozenset(roles)
    _nav_entries[(url_name, roles)] = NavEntry(
        url_name=url_name, label=label, roles=roles, order=order, badge=badge, module=module
    )


def panels_for(slot: str, role: str) -> list[Panel]:
    """The panels of ``slot`` that ``role`` sees, from installed apps, in order."""
    return sorted(
        (
            panel
            for panel in _panels.values()
            if panel.slot == slot
            and (panel.roles is None or role in panel.roles)
            and _installed(panel.module)
        ),
        key=lambda panel: (panel.order, panel.key),
    )


def registered_panels() -> list[Panel]:
    """Every panel of an installed app, whatever its slot and roles."""
    return sorted(
        (panel for panel in _panels.values() if _installed(panel.module)), key=lambda p: p.key
    )


def nav_entries_for(role: str) -> list[NavEntry]:
    """The navigation entries of ``role``, from installed apps, in order."""
    return sorted(
        (
            entry
            for entry in _nav_entries.values()
            if role in entry.roles and _installed(entry.module)
        ),
        key=lambda entry: (entry.order, entry.url_name),
    )


def render_panels(slot: str, user, **subject) -> list[dict]:
    """Each visible panel of ``slot`` for ``user`` with its context, ready for the page's
    ``{% panels %}`` loop; a panel whose context function returns ``None`` is left out."""
    shown = []
    for panel in panels_for(slot, user.role):
        context = panel.context(user, **subject)
        if context is not None:
            shown.append({"key": panel.key, "template": panel.template, "context": context})
    return shown


@dataclass(frozen=True)
class DemoSeeder:
    """Demo data an app adds after the core's (organisation, customers, visits).

    ``seed(*, seed, customers, stdout)`` adds the app's rows for the demo customers already in
    the database and returns ``{label: count}`` of what it created. It must be idempotent: run
    again on a database that holds its rows, it creates nothing (``seed_demo --modules`` runs
    it on the benchmark's reused database when a module is added).
    """

    key: str
    seed: Callable[..., dict]
    order: int = 100

    @property
    def module(self) -> str:
        return self.seed.__module__


_demo_seeders: dict[str, DemoSeeder] = {}


def register_demo_seeder(*, key: str, order: int = 100):
    """Decorator for an app's demo seeder: ``@register_demo_seeder(key="watchlists")``."""

    def decorator(seed):
        _demo_seeders[key] = DemoSeeder(key=key, seed=seed, order=order)
        return seed

    return decorator


def demo_seeders() -> list[DemoSeeder]:
    """The demo seeders of installed apps, in order."""
    return sorted(
        (s for s in _demo_seeders.values() if _installed(s.module)),
        key=lambda s: (s.order, s.key),
    )


@dataclass(frozen=True)
class FormExtra:
    """Fields an app adds to a form of a lower app, and what it does with the answers.

    The form's owner (the visit outcome form and the quick log, in visits/) names no module:
    it asks ``extra_fields(form, user, **subject)`` for the fields to add and, once it has
    saved its own record in a transaction, calls ``save_extras(form, actor, cleaned_data,
    **subject)`` in the same transaction. ``fields(user, **subject)`` returns
    ``{name: forms.Field}`` (or ``None`` to add nothing for this user);
    ``save(actor, values, **subject)`` receives only its own fields' cleaned values, under the
    names it gave them. On the visit forms the subject is ``visit=`` and ``customer=`` (the
    customer is ``None`` on the quick log until it is saved). Fields show after the form's own,
    grouped by app, in ``order``; their names on the page are ``<key>__<name>`` so that two apps
    never collide. An app that is not installed adds nothing.
    """

    key: str
    form: str
    fields: Callable[..., dict | None]
    save: Callable[..., None]
    order: int = 100

    @property
    def module(self) -> str:
        return self.fields.__module__


_form_extras: dict[str, FormExtra] = {}


def register_form_extra(*, key: str, form: str, fields, save, order: int = 100) -> None:
    """Add fields to ``form`` (one of FORMS): see FormExtra. The same key replaces."""
    if form not in FORMS:
        raise ValueError(f"Unknown form {form!r}; one of {', '.join(FORMS)}.")
    _form_extras[key] = FormExtra(key=key, form=form, fields=fields, save=save, order=order)


def form_extras_for(form: str) -> list[FormExtra]:
    return sorted(
        (e for e in _form_extras.values() if e.form == form and _installed(e.module)),
        key=lambda e: (e.order, e.key),
    )


def extra_fields(form: str, user, **subject) -> dict:
    """{prefixed name: field} of every installed app's extras for ``form``, in order."""
    found = {}
    for extra in form_extras_for(form):
        for name, field in (extra.fields(user, **subject) or {}).items():
            found[f"{extra.key}__{name}"] = field
    return found


def save_extras(form: str, actor, cleaned_data: dict, **subject) -> None:
    """Hand each app its own fields' cleaned values (unprefixed), in order."""
    for extra in form_extras_for(form):
        prefix = f"{extra.key}__"
        values = {
            name[len(prefix) :]: value
            for name, value in cleaned_data.items()
            if name.startswith(prefix)
        }
        if values:
            extra.save(actor, values, **subject)
