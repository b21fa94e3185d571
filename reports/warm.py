"""After a snapshot: compute the figures heads open first (each branch's current month,
quarter and year, and each scheme's ranking), so the first page view of the day reads
them back instead of computing them."""

from django.conf import settings
from django.utils import timezone, translation

from accounts.models import Branch

from .caching import remember
from .figures import Period
from .models import Scheme
from .scope import Scope
from .scoring import assess, scheme_period


def warm(day=None) -> int:
    from .views import compute_dashboard

    day = day or timezone.localdate()
    done = 0
    with translation.override(settings.LANGUAGE_CODE):
        language = translation.get_language()
        for branch in Branch.objects.all():
            scope = Scope(branch=branch)
            for grain in ("month", "quarter", "year"):
                period = Period.of(grain, day)
                name = f"dash:{scope.params()}:{period.grain}:{period.start}:{language}"
                remember(name, lambda scope=scope, period=period: compute_dashboard(scope, period))
                done += 1
        for scheme in Scheme.objects.filter(is_active=True):
            period = scheme_period(scheme, day)
            remember(f"assess:{scheme.pk}:{period.start}", lambda s=scheme: assess(s, day))
            done += 1
    return done
