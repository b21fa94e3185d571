"""Whose figures a user may read: the one place the reports' access rule is written.

Rule: an RM reads only their own figures (any other RM or any branch answers 404); a branch
head reads the branches of their subtree and the RMs filed there; an admin reads everything.
Everything out of scope answers 404, exactly like something that does not exist. Figures
always come from the facts of the chosen branch (its subtree's totals) or RM, so a head never
reads another branch's figures, even summed into a total.
"""

from dataclasses import dataclass

from django.http import Http404

from accounts.models import Branch, User

from .models import BranchDay, ExternalFigure, RmDay


@dataclass
class Scope:
    branch: Branch | None = None
    rm: User | None = None

    @property
    def rows(self):
        if self.rm is not None:
            return RmDay.objects.filter(rm=self.rm)
        return BranchDay.objects.filter(branch=self.branch)

    @property
    def external(self):
        if self.rm is not None:
            return ExternalFigure.objects.filter(rm=self.rm)
        ids = list(Branch.objects.subtree(self.branch).values_list("pk", flat=True))
        return ExternalFigure.objects.filter(branch_id__in=ids)

    def params(self) -> str:
        return f"rm={self.rm.pk}" if self.rm else f"branch={self.branch.pk}"


def default_branch(user) -> Branch | None:
    if user.is_admin:
        return Branch.objects.filter(parent__isnull=True).order_by("path").first()
    return user.branch


def scope_for(user, *, branch_id=None, rm_id=None) -> Scope:
    """The scope asked for (``branch_id`` or ``rm_id``), or the user's own; 404 when the user
    may not read it."""
    if rm_id is not None:
        rm = (
            User.objects.visible_to(user)
            .filter(pk=rm_id, role=User.Role.RM)
            .select_related("branch")
            .first()
        )
        if rm is None:
            raise Http404
        return Scope(rm=rm)
    if user.is_rm:
        if branch_id is not None:
            raise Http404
        return Scope(rm=user)
    if branch_id is None:
        branch = default_branch(user)
    else:
        branch = Branch.objects.visible_to(user).filter(pk=branch_id).first()
    if branch is None:
        raise Http404
    return Scope(branch=branch)


def may_read_branch(user, branch) -> bool:
    return Branch.objects.visible_to(user).filter(pk=branch.pk).exists()
