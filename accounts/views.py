from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.template.response import TemplateResponse
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .forms import BranchForm, LanguageForm, PreferencesForm, UserCreateForm, UserEditForm
from .models import Branch, User

LIST_PAGE_SIZE = 50


def _require_admin(user):
    if not user.is_admin:
        raise PermissionDenied


def locked_out(request, original_response=None, credentials=None):
    """What django-axes answers once a username has failed too often (HTTP 429)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "accounts/locked_out.html", {"cooloff_minutes": minutes}, status=429)


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        messages.success(self.request, _("Your password has been changed."))
        return super().form_valid(form)


@require_POST
def set_language(request):
    """Switch the interface language; a logged-in user keeps the choice on their profile."""
    form = LanguageForm(request.POST)
    next_url = request.POST.get("next") or reverse("home")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("home")
    response = redirect(next_url)
    if form.is_valid():
        language = form.cleaned_data["language"]
        if request.user.is_authenticated:
            request.user.language = language
            request.user.save(update_fields=["language"])
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
    return response


@login_required
def preferences(request):
    """What a user chooses for themself: reminders about the customers they assist, and
    whether reminders also come through WeCom."""
    form = PreferencesForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Preferences saved."))
        return redirect("accounts-preferences")
    return TemplateResponse(request, "accounts/preferences.html", {"form": form})


@login_required
def user_list(request):
    """Heads see their team (read-only); admins see and manage every user."""
    if request.user.is_rm:
        raise PermissionDenied
    users = (
        User.objects.visible_to(request.user)
        .select_related("branch")
        .order_by("branch__path", "role", "username")
    )
    role = request.GET.get("role")
    if role in User.Role.values:
        users = users.filter(role=role)
    page = Paginator(users, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return TemplateResponse(
        request,
        "accounts/user_list.html",
        {"page_obj": page, "roles": User.Role.choices, "role": role},
    )


@login_required
def user_detail(request, pk):
    shown = get_object_or_404(User.objects.visible_to(request.user).select_related("branch"), pk=pk)
    return TemplateResponse(request, "accounts/user_detail.html", {"shown": shown})


@login_required
def user_edit(request, pk=None):
    # Out of scope answers 404 like a missing user; in scope but not an admin, 403.
    shown = get_object_or_404(User.objects.visible_to(request.user), pk=pk) if pk else None
    _require_admin(request.user)
    form_class = UserEditForm if shown else UserCreateForm
    form = form_class(request.POST or None, instance=shown, actor=request.user)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, _("User %(name)s saved.") % {"name": saved})
        return redirect("accounts-user-detail", pk=saved.pk)
    return TemplateResponse(request, "accounts/user_form.html", {"form": form, "shown": shown})


@login_required
def branch_list(request):
    branches = (
        Branch.objects.visible_to(request.user)
        .annotate(user_count=Count("users", filter=Q(users__is_active=True)))
        .order_by("path")
    )
    return TemplateResponse(request, "accounts/branch_list.html", {"branches": branches})


@login_required
def branch_edit(request, pk=None):
    branch = get_object_or_404(Branch.objects.visible_to(request.user), pk=pk) if pk else None
    _require_admin(request.user)
    form = BranchForm(request.POST or None, instance=branch, actor=request.user)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, _("Branch %(name)s saved.") % {"name": saved})
        return redirect("accounts-branches")
    return TemplateResponse(request, "accounts/branch_form.html", {"form": form, "branch": branch})
