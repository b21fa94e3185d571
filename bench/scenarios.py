"""Who is measured on which pages: the personas, their sessions and tokens, and the paths.

Runs inside a Django process configured for the benchmark database. Sample customers and
visits are drawn from each persona's own scope (``visible_to``), with a fixed random seed.
"""

import random
from dataclasses import dataclass, field
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from rest_framework.authtoken.models import Token

from accounts.models import User
from customers.models import AssetTier, Customer
from visits.models import Visit

DEEP_PAGE = 80  # 50 rows a page: rows 3,951-4,000, inside even a small RM book
SAMPLES = 40
MIX_CLIENTS = 16


@dataclass
class Persona:
    key: str
    user: User
    session: str
    token: str
    customers: list[int] = field(default_factory=list)
    visits: list[int] = field(default_factory=list)
    initials: list[str] = field(default_factory=list)

    @property
    def page_headers(self) -> dict:
        return {"Cookie": f"{settings.SESSION_COOKIE_NAME}={self.session}"}

    @property
    def api_headers(self) -> dict:
        return {"Authorization": f"Token {self.token}"}


@dataclass
class Endpoint:
    name: str  # e.g. "customer list"
    persona: str
    api: bool
    paths: list[str]
    budget_ms: float | None = None  # p95 budget, when the issue sets one
    floor: bool = False  # also time its SQL directly


def _session_for(user: User) -> str:
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.set_expiry(24 * 3600)  # the benchmark outlasts the 30-minute idle limit
    store.save()
    return store.session_key


def persona(key: str, user: User, rng: random.Random) -> Persona:
    token, _ = Token.objects.get_or_create(user=user)
    p = Persona(key, user, _session_for(user), token.key)
    customers = Customer.objects.visible_to(user)
    # A random sample without ORDER BY random() over a million rows: pick ids from the range.
    bounds = customers.order_by("pk").values_list("pk", flat=True)
    low, high = bounds.first(), bounds.last()
    picked = set()
    for _ in range(400):
        if len(picked) >= SAMPLES:
            break
        start = rng.randint(low, high)
        pk = customers.filter(pk__gte=start).order_by("pk").values_list("pk", flat=True).first()
        if pk:
            picked.add(pk)
    p.customers = sorted(picked)
    p.initials = sorted(
        {
            initials[:2]
            for initials in Customer.objects.filter(pk__in=p.customers).values_list(
                "name_initials", flat=True
            )
            if len(initials) >= 2
        }
    )
    p.visits = list(
        Visit.objects.visible_to(user)
        .filter(customer_id__in=p.customers)
        .values_list("pk", flat=True)[:SAMPLES]
    )
    return p


def build(seed: int = 1) -> tuple[dict[str, Persona], list[Persona]]:
    """The three measured personas, and the mix's sixteen clients (other RMs and heads too)."""
    rng = random.Random(seed)
    users = {u.username: u for u in User.objects.filter(username__in=["rm1", "head1", "admin"])}
    main = {
        "rm": persona("rm", users["rm1"], rng),
        "head": persona("head", users["head1"], rng),
        "admin": persona("admin", users["admin"], rng),
    }
    rms = list(User.objects.filter(role=User.Role.RM, is_active=True).order_by("pk"))
    heads = list(User.objects.filter(role=User.Role.HEAD, is_active=True).order_by("pk"))
    mix_users = rng.sample(rms, min(12, len(rms))) + heads[:3]
    mix = [persona("rm" if u.role == User.Role.RM else "head", u, rng) for u in mix_users]
    mix.append(main["admin"])
    return main, mix[:MIX_CLIENTS]


def _rotate(template: str, values) -> list[str]:
    return [template.format(v) for v in values] or [template.format("")]


def endpoints(personas: dict[str, Persona]) -> list[Endpoint]:
    tiers = list(AssetTier.objects.order_by("min_assets").values_list("code", flat=True))
    out = []
    for key, p in personas.items():
        list_budget = 100 if key == "rm" else 200
        for api, base in ((False, "/customers/"), (True, "/api/customers/")):
            kind = "API customers" if api else "customer list"
            out += [
                Endpoint(f"{kind}, first page", key, api, [base], list_budget, floor=True),
                Endpoint(
                    f"{kind}, page {DEEP_PAGE}",
                    key,
                    api,
                    [f"{base}?page={DEEP_PAGE}"],
                    list_budget,
                    floor=True,
                ),
                Endpoint(
                    f"{kind}, tier filter",
                    key,
                    api,
                    _rotate(base + "?asset_tier={}", tiers),
                    list_budget,
                    floor=True,
                ),
                Endpoint(
                    f"{kind}, initials search",
                    key,
                    api,
                    _rotate(base + "?q={}", p.initials),
                    list_budget,
                    floor=True,
                ),
            ]
        out.append(
            Endpoint("customer 360", key, False, _rotate("/customers/{}/", p.customers), 100)
        )
        out.append(Endpoint("home page", key, False, ["/"]))
        if key in ("rm", "head"):
            out.append(Endpoint("visit calendar, month", key, False, ["/visits/calendar/"]))
        if key == "rm":
            out.append(Endpoint("visit brief", key, False, _rotate("/visits/{}/brief/", p.visits)))
            out.append(Endpoint("reminders inbox", key, False, ["/reminders/"]))
        out += watch_endpoints(key)
        out += service_endpoints(key)
        out += report_endpoints(key)
    out += opportunity_endpoints(personas)
    return out


def report_endpoints(key: str) -> list[Endpoint]:
    """The reports module: dashboard and ranking within 100 ms for a head, 200 ms for head
    office (issue 14); the RM's own figures and scorecard, and the measures API."""
    budget = {"head": 100, "admin": 200}.get(key)
    out = [
        Endpoint(
            "reports dashboard, month, quarter, year",
            key,
            False,
            ["/reports/?grain=month", "/reports/?grain=quarter", "/reports/?grain=year"],
            budget,
        ),
        Endpoint("reports API measures", key, True, ["/api/reports/measures/?grain=month"]),
    ]
    if key == "rm":
        out.append(Endpoint("scorecard", key, False, ["/reports/scorecard/"]))
    else:
        out.append(Endpoint("ranking", key, False, ["/reports/ranking/"], budget))
    return out


def opportunity_endpoints(personas: dict[str, Persona]) -> list[Endpoint]:
    """The pipeline: the RM's board (budget 150 ms), the head's review (150 ms), the lists."""
    out = []
    for key in personas:
        if key == "rm":
            out.append(Endpoint("opportunity board", key, False, ["/opportunities/"], 150))
            out.append(
                Endpoint(
                    "opportunity board, phone tab",
                    key,
                    False,
                    ["/opportunities/?stage=proposal"],
                    150,
                )
            )
        else:
            out.append(Endpoint("pipeline review", key, False, ["/opportunities/review/"], 150))
        out.append(Endpoint("opportunity list", key, False, ["/opportunities/list/"]))
        out.append(Endpoint("API opportunities", key, True, ["/api/opportunities/?is_open=true"]))
        out.append(Endpoint("gap suggestions", key, False, ["/opportunities/suggestions/"]))
    return out


def watch_endpoints(key: str) -> list[Endpoint]:
    """Risk warnings (watchlists): the RM's watchlist and the head's branch board, p95 ≤ 100
    ms (issue 12), and the API list beside them."""
    if key == "rm":
        return [
            Endpoint("watchlist", key, False, ["/watchlists/"], 100, floor=True),
            Endpoint("API watch items", key, True, ["/api/watch-items/"], 100, floor=True),
        ]
    if key == "head":
        return [
            Endpoint("branch board", key, False, ["/watchlists/board/"], 100, floor=True),
            Endpoint("API watch items", key, True, ["/api/watch-items/"], 200, floor=True),
        ]
    return [Endpoint("branch board", key, False, ["/watchlists/board/"])]


def service_endpoints(key: str) -> list[Endpoint]:
    """The ticket lists (issue 15: p95 within 100 ms at a million customers with 100,000
    tickets): my tickets or my team's by time left, and the API list; the month's statistics
    without a budget."""
    view = "mine" if key == "rm" else "team"
    return [
        Endpoint("ticket list", key, False, [f"/service/?view={view}"], 100, floor=True),
        Endpoint("ticket list, all states", key, False, [f"/service/?view={view}&state=all"], 100),
        Endpoint("API tickets", key, True, ["/api/tickets/"], 100, floor=True),
        Endpoint("complaint statistics", key, False, ["/service/statistics/"]),
    ]


def mix_paths(p: Persona, rng: random.Random) -> list[tuple[dict, str]]:
    """A working day's mix for one client: mostly the 360 page, the list and search."""
    pages, api = p.page_headers, p.api_headers
    customers = [f"/customers/{pk}/" for pk in p.customers] or ["/customers/"]
    searches = [f"/customers/?q={q}" for q in p.initials] or ["/customers/"]
    plan = [
        (pages, "/"),
        (pages, "/customers/"),
        *[(pages, rng.choice(searches)) for _ in range(2)],
        *[(pages, rng.choice(customers)) for _ in range(4)],
        (api, "/api/customers/"),
        (api, f"/api/customers/?q={rng.choice(p.initials or [''])}"),
    ]
    if p.user.role == User.Role.RM:
        plan += [(pages, "/reminders/"), (pages, "/visits/calendar/")]
        plan += [(pages, f"/visits/{pk}/brief/") for pk in p.visits[:1]]
    else:
        plan += [(pages, "/customers/?page=2"), (pages, "/visits/calendar/")]
    rng.shuffle(plan)
    return plan
