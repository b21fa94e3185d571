import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe
from rest_framework.authtoken.models import Token

from crm.authentication import token_expired, token_expires_at
from jobs.models import Job
from jobs.services import retry_job

from .health import readiness
from .models import TaskFailure

logger = logging.getLogger(__name__)
NEW_TOKEN_SESSION_KEY = "ops:new-api-token"
SHOWN_ROWS = 50


@never_cache
@require_safe
def healthz(request):
    """Liveness: the process answers. Touches nothing else (a load balancer asks often)."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request):
    """Readiness for a load balancer and a monitor: 200 when every part answers, else 503
    with the failing parts named (see ops.health)."""
    ready, body = readiness()
    response = JsonResponse(body, status=200 if ready else 503)
    if not ready:
        # One warning naming the parts, instead of Django's "Service Unavailable" error on
        # every poll of a monitor (which error reporting would turn into an event each time).
        logger.warning("not ready: %s", ", ".join(body["failing"]))
        response._has_been_logged = True
    return response


def _require_admin(user):
    if not user.is_admin:
        raise PermissionDenied


def _token_row(token, now):
    return {
        "token": token,
        "expires_at": token_expires_at(token),
        "expired": token_expired(token, now),
    }


@login_required
def api_token(request):
    """The user's own API token: make one (a new one replaces the old), or revoke it."""
    if request.method == "POST":
        action = request.POST.get("action")
        Token.objects.filter(user=request.user).delete()
        if action == "create":
            token = Token.objects.create(user=request.user)
            request.session[NEW_TOKEN_SESSION_KEY] = token.key
            messages.success(request, _("A new API token was made; the old one no longer works."))
        else:
            messages.success(request, _("Your API token was revoked."))
        return redirect("ops-api-token")
    token = Token.objects.filter(user=request.user).first()
    context = {
        "row": _token_row(token, timezone.now()) if token else None,
        "new_key": request.session.pop(NEW_TOKEN_SESSION_KEY, None),
        "token_days": settings.API_TOKEN_DAYS,
    }
    return TemplateResponse(request, "ops/api_token.html", context)


@login_required
@require_safe
def api_tokens(request):
    """Every user's API token, for an admin to revoke (the keys are not shown)."""
    _require_admin(request.user)
    now = timezone.now()
    tokens = Token.objects.select_related("user").order_by("-created")[: SHOWN_ROWS * 4]
    return TemplateResponse(
        request, "ops/api_tokens.html", {"rows": [_token_row(t, now) for t in tokens]}
    )


@login_required
@require_POST
def api_token_revoke(request, user_id):
    _require_admin(request.user)
    token = get_object_or_404(Token.objects.select_related("user"), user_id=user_id)
    token.delete()
    messages.success(
        request, _("The API token of %(name)s was revoked.") % {"name": token.user.username}
    )
    return redirect("ops-api-tokens")


@login_required
@require_safe
def task_outcomes(request):
    """For admins: jobs and Celery tasks that failed, with their error; a failed job can be
    sent again. The jobs' files are not offered here (they hold their owners' data)."""
    _require_admin(request.user)
    failed_jobs = (
        Job.objects.filter(state=Job.State.FAILED)
        .select_related("owner")
        .order_by("-finished_at", "-pk")[:SHOWN_ROWS]
    )
    context = {
        "failed_jobs": failed_jobs,
        "task_failures": TaskFailure.objects.all()[:SHOWN_ROWS],
        "waiting_jobs": Job.objects.filter(state=Job.State.QUEUED).count(),
        "running_jobs": Job.objects.filter(state=Job.State.RUNNING).count(),
    }
    return TemplateResponse(request, "ops/tasks.html", context)


@login_required
@require_POST
def job_retry(request, pk):
    _require_admin(request.user)
    job = get_object_or_404(Job, pk=pk)
    if retry_job(job.pk):
        messages.success(request, _("The job was sent to a worker again."))
    else:
        messages.error(
            request, _("This job cannot be sent again: it did not fail, or its files are gone.")
        )
    return redirect("ops-tasks")
