from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator, URLValidator
from django.db import models, transaction
from django.db.models import Value
from django.db.models.functions import Concat, Substr
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

# One level of Branch.path: a ten-digit id and a slash.
SEGMENT_LENGTH = 11


class BranchQuerySet(models.QuerySet):
    def subtree(self, branch):
        """The branch and every branch under it, at any depth."""
        return self.filter(path__startswith=branch.path)

    def visible_to(self, user):
        """The branches a user may see.

        Rule: an admin sees every branch; a branch head or a risk manager sees their branch and
        every branch under it; a relationship manager sees only their own branch. A user
        without a branch (other than an admin) and an inactive or anonymous user see none.
        """
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_admin:
            return self.all()
        if user.branch_id is None:
            return self.none()
        if user.sees_branch_subtree:
            return self.subtree(user.branch)
        return self.filter(pk=user.branch_id)


class Branch(models.Model):
    """A node of the bank's tree: head office, branch, sub-branch, outlet, at any depth.

    ``path`` holds the zero-padded ids from the root down (``0000000001/0000000004/``), so a
    subtree is one indexed prefix match, ordering by path lists the tree depth-first, and the
    tree is read without recursion.
    """

    class Level(models.TextChoices):
        HEAD_OFFICE = "head_office", _("Head office")
        BRANCH = "branch", _("Branch")
        SUB_BRANCH = "sub_branch", _("Sub-branch")
        OUTLET = "outlet", _("Outlet")

    code = models.CharField(
        _("code"),
        max_length=20,
        unique=True,
        validators=[RegexValidator(r"^[A-Za-z0-9_-]+$", _("Use letters, digits, - and _ only."))],
    )
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=20, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent branch"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # db_index on PostgreSQL also builds the varchar_pattern_ops index that LIKE 'x%' uses.
    path = models.CharField(max_length=255, editable=False, db_index=True)
    # A CharField with a URL check rather than a URLField: the form field of a URLField would
    # guess a scheme for an address typed without one, and this must be the address as given.
    wecom_robot_webhook = models.CharField(
        _("WeCom group robot webhook"),
        max_length=300,
        blank=True,
        validators=[URLValidator(schemes=["https", "http"])],
        help_text=_(
            "The team group's robot address (…/cgi-bin/webhook/send?key=…); branches under "
            "this one without their own use it too."
        ),
    )

    objects = BranchQuerySet.as_manager()

    class Meta:
        verbose_name = _("branch")
        verbose_name_plural = _("branches")
        ordering = ["path"]

    def __str__(self):
        return f"{self.name} ({self.code})"

    @transaction.atomic
    def save(self, *args, **kwargs):
        old_path = self.path
        if self.pk is None:
            super().save(*args, **kwargs)
        new_path = (
            self.parent.path if self.parent_id else ""
        ) + f"{self.pk:0{SEGMENT_LENGTH - 1}d}/"
        self.path = new_path
        kwargs.pop("force_insert", None)
        super().save(*args, **kwargs)
        if old_path and old_path != new_path:
            # The branch moved: every branch under it moves with it.
            Branch.objects.filter(path__startswith=old_path).exclude(pk=self.pk).update(
                path=Concat(Value(new_path), Substr("path", len(old_path) + 1))
            )

    @property
    def depth(self) -> int:
        return len(self.path) // SEGMENT_LENGTH - 1

    def robot_webhook(self) -> str:
        """The WeCom group robot of this branch's team: its own webhook, else the nearest
        branch above it that has one, else the ``WECOM_ROBOT_WEBHOOK`` setting ("" if none)."""
        ids = [
            int(self.path[i : i + SEGMENT_LENGTH - 1])
            for i in range(0, len(self.path), SEGMENT_LENGTH)
        ]
        nearest = (
            Branch.objects.filter(pk__in=ids)
            .exclude(wecom_robot_webhook="")
            .order_by("-path")
            .values_list("wecom_robot_webhook", flat=True)
            .first()
        )
        return nearest or settings.WECOM_ROBOT_WEBHOOK

    def clean(self):
        if not self.parent_id:
            return
        parent = Branch.objects.get(pk=self.parent_id)
        if self.pk and parent.path.startswith(self.path):
            raise ValidationError(
                {"parent": _("A branch cannot sit under itself or under its own sub-branch.")}
            )
        if len(parent.path) + SEGMENT_LENGTH > self._meta.get_field("path").max_length:
            raise ValidationError({"parent": _("The branch tree cannot be any deeper here.")})


class UserQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The users a user may see.

        Rule: an admin sees every user; a branch head or a risk manager sees the users of
        their branch subtree; a relationship manager sees only themself. Inactive and
        anonymous users see none.
        """
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_admin:
            return self.all()
        if user.sees_branch_subtree and user.branch_id is not None:
            return self.filter(branch__in=Branch.objects.visible_to(user))
        return self.filter(pk=user.pk)


class CrmUserManager(UserManager.from_queryset(UserQuerySet)):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", User.Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A person who logs in: a relationship manager, a branch head, a risk manager or an admin.

    The role alone decides what a user may do; ``is_staff`` and ``is_superuser`` follow it, so
    only admins reach the Django admin.
    """

    class Role(models.TextChoices):
        RM = "rm", _("Relationship manager")
        HEAD = "head", _("Branch head")
        # The middle office beside a branch's RMs (风险经理): reviews risk warnings; sees the
        # branch subtree like its head, and changes no customer file.
        RISK = "risk", _("Risk manager")
        ADMIN = "admin", _("Admin")

    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.RM)
    branch = models.ForeignKey(
        Branch,
        verbose_name=_("branch"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    employee_no = models.CharField(_("employee number"), max_length=20, blank=True)
    phone = models.CharField(
        _("phone"),
        max_length=20,
        blank=True,
        validators=[RegexValidator(r"^\+?[0-9-]{5,20}$", _("Enter a valid phone number."))],
    )
    remind_assisted = models.BooleanField(
        _("also remind me of the customers I assist"), default=False
    )
    language = models.CharField(
        _("preferred language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
    )
    # Where reminders go besides the inbox and the email digest (see notifications/).
    wecom_userid = models.CharField(
        _("WeCom user id"),
        max_length=64,
        blank=True,
        validators=[
            RegexValidator(
                r"^[A-Za-z0-9_.@-]+$", _("Use letters, digits and . _ - @ only, as in WeCom.")
            )
        ],
        help_text=_("Your account (账号) in WeCom's address book, e.g. zhangwei."),
    )
    remind_by_wecom = models.BooleanField(
        _("send my morning digest and urgent reminders to me in WeCom"), default=False
    )
    remind_by_wecom_robot = models.BooleanField(
        _("also post them in my team's WeCom group, mentioning me"), default=False
    )

    objects = CrmUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]
        constraints = [
            models.UniqueConstraint(
                fields=["employee_no"],
                condition=~models.Q(employee_no=""),
                name="user_employee_no_unique",
                violation_error_message=_("Another user has this employee number."),
            )
        ]

    def __str__(self):
        full_name = self.get_full_name()
        return f"{full_name} ({self.username})" if full_name else self.username

    def save(self, *args, **kwargs):
        self.is_staff = self.is_superuser = self.is_admin
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "role" in update_fields:
            kwargs["update_fields"] = {*update_fields, "is_staff", "is_superuser"}
        super().save(*args, **kwargs)

    def get_full_name(self):
        # Chinese order: family name first, no space.
        return f"{self.last_name}{self.first_name}".strip()

    @property
    def is_admin(self):
        return self.role == self.Role.ADMIN

    @property
    def is_head(self):
        return self.role == self.Role.HEAD

    @property
    def is_rm(self):
        return self.role == self.Role.RM

    @property
    def is_risk_manager(self):
        return self.role == self.Role.RISK

    @property
    def sees_branch_subtree(self) -> bool:
        """Rule: a branch head and a risk manager see their branch and every branch under it
        (customers, users, branches); what each may change differs."""
        return self.role in (self.Role.HEAD, self.Role.RISK)

    # What a user may do on the customer archive as a whole. What they may do on one
    # customer (edit, archive, restore, delete, hand over) is asked of the customer:
    # ``Customer.editable_by(user)`` and its neighbours in customers/models.py.

    @property
    def may_hand_over(self) -> bool:
        """Rule: branch heads and admins move customers from one RM to another (客户移交);
        RMs do not."""
        return self.is_active and (self.is_head or self.is_admin)

    @property
    def may_assign_rms(self) -> bool:
        """Rule: heads and admins choose a customer's primary and assisting RMs when they file
        one; an RM files customers as their own and does not choose who assists."""
        return self.is_active and (self.is_head or self.is_admin)

    @property
    def may_see_archived(self) -> bool:
        """Rule: only admins see archived customers (``Customer.objects.visible_to``)."""
        return self.is_active and self.is_admin

    # Which WeCom channels can reach this user. The sending side lives in notifications/;
    # these answer the Preferences page without importing it.

    @property
    def wecom_app_available(self) -> bool:
        """Rule: WeCom application messages are on when all three credentials are set."""
        return bool(settings.WECOM_CORP_ID and settings.WECOM_AGENT_ID and settings.WECOM_SECRET)

    @property
    def wecom_robot_available(self) -> bool:
        """Rule: the team group robot reaches a user whose branch (or one above it) has a
        webhook, or when ``WECOM_ROBOT_WEBHOOK`` is set."""
        if self.branch_id is None:
            return bool(settings.WECOM_ROBOT_WEBHOOK)
        return bool(self.branch.robot_webhook())

    def wecom_choice_errors(self) -> dict:
        """What is wrong with the user's WeCom choices as they stand on this instance:
        {field: message}. Rule: a channel that is off cannot be chosen, and WeCom messages
        need the user's WeCom user id."""
        errors = {}
        if self.remind_by_wecom and not self.wecom_app_available:
            errors["remind_by_wecom"] = _("WeCom messages are not set up by the admins yet.")
        elif self.remind_by_wecom and not self.wecom_userid:
            errors["wecom_userid"] = _("Enter your WeCom user id to get reminders in WeCom.")
        if self.remind_by_wecom_robot and not self.wecom_robot_available:
            errors["remind_by_wecom_robot"] = _("Your team has no WeCom group robot yet.")
        return errors

    def clean(self):
        super().clean()
        if self.role in (self.Role.RM, self.Role.HEAD, self.Role.RISK) and self.branch_id is None:
            raise ValidationError({"branch": _("Relationship managers and heads need a branch.")})
        if self.pk and not self.is_active and self.primary_customers.exists():
            # Customers must never be left without a primary RM: hand the book over first.
            url = reverse("customers-handover") + f"?from={self.pk}"
            raise ValidationError(
                {
                    "is_active": format_html(
                        '{} <a href="{}">{}</a>',
                        _("This user is still the primary RM of customers."),
                        url,
                        _("Hand the customers over first."),
                    )
                }
            )
