from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.views.decorators.http import require_safe

from crm.htmx import is_htmx

from .models import Job

POLL_SECONDS = 2


def job_for(request, pk) -> Job:
    """The user's own job, or 404 (the same for another user's job as for none)."""
    return get_object_or_404(Job.objects.visible_to(request.user), pk=pk)


@login_required
@require_safe
def job_list(request):
    jobs = Job.objects.visible_to(request.user).order_by("-created_at")[:50]
    return TemplateResponse(request, "jobs/list.html", {"jobs": jobs})


@login_required
@require_safe
def job_detail(request, pk):
    """The job's page; htmx asks again every few seconds for the progress fragment, which
    stops asking once the job has ended."""
    job = job_for(request, pk)
    context = {"job": job, "poll_seconds": POLL_SECONDS}
    if is_htmx(request):
        return TemplateResponse(request, "jobs/_progress.html", context)
    return TemplateResponse(request, "jobs/detail.html", context)


@login_required
@require_safe
def job_download(request, pk):
    job = job_for(request, pk)
    if not job.result_file or not default_storage.exists(job.result_file):
        raise Http404
    return FileResponse(
        default_storage.open(job.result_file, "rb"),
        as_attachment=True,
        filename=job.result_filename or job.result_file.rsplit("/", 1)[-1],
    )
