"""Reading assessments for a user: the RM's own scorecard, a head's rankings.

Assessing reads every RM of a line (the peer group is bank-wide), so the result of one
scheme and period is kept until the next snapshot is written (reports.caching); what a
user is shown is then cut to their scope here.
"""

from django.http import Http404
from django.utils import timezone

from accounts.models import Branch, User

from .caching import remember
from .models import Scheme
from .scoring import assess, current_grades, scheme_period


def assessment(scheme: Scheme, day) -> dict:
    period = scheme_period(scheme, day)
    return remember(f"assess:{scheme.pk}:{period.start}", lambda: assess(scheme, day))


def scheme_for(user, scheme_id=None, rm_id=None) -> Scheme:
    """The scheme asked for, or the one of the RM's line (``rm_id``, else the user if an
    RM); 404 if there is none."""
    schemes = Scheme.objects.filter(is_active=True)
    if scheme_id is not None:
        scheme = schemes.filter(pk=scheme_id).first()
    else:
        rm_id = rm_id if rm_id is not None else (user.pk if user.is_rm else None)
        line = current_grades([rm_id])[rm_id][0] if rm_id else None
        if line is None:
            # A head or an admin: the line most of the RMs they see work in.
            rms = User.objects.visible_to(user).filter(role=User.Role.RM, is_active=True)
            lines = list(current_grades(list(rms.values_list("pk", flat=True))).values())
            line = max({ln for ln, _g in lines}, key=[ln for ln, _g in lines].count, default=None)
        scheme = (schemes.filter(line=line).first() if line else None) or schemes.first()
    if scheme is None:
        raise Http404
    return scheme


def visible_cards(user, cards: dict) -> list:
    """Rule: an RM sees only their own card; a head the cards of RMs filed in their subtree;
    an admin all. Ranks stay those of the whole peer group."""
    if user.is_admin:
        return list(cards.values())
    if user.sees_branch_subtree:
        ids = set(Branch.objects.visible_to(user).values_list("pk", flat=True))
        return [c for c in cards.values() if c.branch_id in ids]
    return [c for c in cards.values() if c.rm_id == user.pk]


def card_of(user, scheme, rm_id, day):
    """One RM's card, if the user may see that RM (404 otherwise, or if the RM is not in
    the scheme's line)."""
    rm_id = rm_id if rm_id is not None else user.pk
    if not User.objects.visible_to(user).filter(pk=rm_id, role=User.Role.RM).exists():
        raise Http404
    card = assessment(scheme, day or timezone.localdate()).get(rm_id)
    if card is None:
        raise Http404
    return card
