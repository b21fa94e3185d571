from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import connections, models
from django.db.models import Q
from django.db.models.functions import ExtractDay, ExtractMonth
from django.db.models.sql.where import AND, OR, WhereNode
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Branch
from crm import lookups  # noqa: F401 - registers __any_of
from crm.lookups import AnyOf

from . import validators
from .birthdays import lunar_md_of, solar_md
from .pinyin import name_keys


class CustomerQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The customers a user may see. Every read of customer data starts here.

        Rule: an admin sees every customer, archived ones included. A branch head or a risk
        manager sees the customers that belong to their branch or any branch under it. A
        relationship manager sees the customers of whom they are the primary RM or an
        assisting RM. Heads, risk managers and RMs never see archived customers. Inactive and
        anonymous users see none.

        Each scope is a plain indexed predicate (``branch_id IN (…)``, ``primary_rm_id = …``),
        never a join that multiplies rows. The lists are read first (one small indexed query)
        and sent with the SQL as one array (``crm/lookups.py``): PostgreSQL then knows how
        many rows the scope holds, where an ``IN (subquery)`` under OR was guessed at half
        the table and an RM's deep list pages took seconds at a million customers (see the
        README's benchmark section).
        """
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_admin:
            return self.all()
        live = self.filter(archived_at__isnull=True)
        if user.sees_branch_subtree:
            branch_ids = list(Branch.objects.visible_to(user).values_list("id", flat=True))
            return live.filter(branch_id__in=branch_ids)
        assisted = list(
            CustomerAssistant.objects.filter(rm=user).values_list("customer_id", flat=True)
        )
        if not assisted:
            return live.filter(primary_rm=user)
        scoped = live.filter(Q(primary_rm=user) | Q(pk__any_of=assisted))
        scoped._book = (user.pk, assisted)
        return scoped

    def active(self):
        """Not archived: what lists, search and exports show."""
        return self.filter(archived_at__isnull=True)

    def live_in(self, branch_ids):
        """Not archived and filed under one of ``branch_ids``: the customers a branch's
        morning reminder run is about, whichever app's kind is running."""
        return self.filter(branch_id__in=branch_ids, archived_at__isnull=True)

    # An RM's scope with assisted customers is "primary OR assisting": no index gives that
    # in the list's order, so PostgreSQL reads the whole book for every page (10,000 buffers
    # a page at a million customers). A page is read as two ordered halves instead, each
    # on its own index, merged (crm.pagination.paginate asks for page_slice).
    _book = None

    def _clone(self):
        clone = super()._clone()
        clone._book = self._book
        return clone

    def page_slice(self, offset: int, limit: int) -> list:
        """``list(self[offset:offset + limit])``, faster for an RM's book."""
        order = list(self.query.order_by)
        names = [o.lstrip("-") for o in order if isinstance(o, str)]
        fields = {f.name for f in self.model._meta.concrete_fields} | {"pk"}
        if self._book is None or not order or len(names) != len(order) or set(names) - fields:
            return list(self[offset : offset + limit])
        rm_id, assisted = self._book
        columns = list(dict.fromkeys(["pk", *names]))
        bare = self.select_related(None).prefetch_related(None).order_by()
        # Each half states its own side of the scope; the scope's "primary OR assisting"
        # left in would make PostgreSQL read the whole book by bitmap for the primary half
        # instead of the first rows of the (primary_rm, assets) index.
        bare.query.where = _without_book_scope(bare.query.where, assisted)
        primary = bare.filter(primary_rm_id=rm_id).values_list(*columns)
        helping = bare.filter(pk__any_of=assisted).exclude(primary_rm_id=rm_id)
        helping = helping.values_list(*columns)
        features = connections[self.db].features
        if order == BOOK_INDEX_ORDER and features.supports_slicing_ordering_in_compound:
            # In the order of the (primary_rm, assets, id) index, each half is ordered and cut
            # at the page's end: PostgreSQL reads the first rows of that index, merges the two
            # halves and stops (~1,000 buffers for a first page instead of the whole book).
            # Not in other orders: there a LIMIT tempts the planner to walk another index
            # (the name's) past most of the archive, where a sort of the book is cheap.
            primary = primary.order_by(*order)[: offset + limit]
            helping = helping.order_by(*order)[: offset + limit]
        ids = [
            row[0]
            for row in primary.union(helping, all=True).order_by(*order)[offset : offset + limit]
        ]
        rows = {c.pk: c for c in self.filter(pk__in=ids)}
        return [rows[pk] for pk in ids if pk in rows]


# The list's default order, which the (primary_rm, assets, id) index serves for an RM's book.
BOOK_INDEX_ORDER = ["-monthly_avg_assets", "-id"]


def _without_book_scope(where, assisted):
    """A copy of ``where`` without the ``primary_rm = … OR id = ANY(assisted)`` node that
    ``visible_to`` adds for an RM with assisted customers, looked for only among the
    conditions that are ANDed at the top (a condition under OR or NOT is left alone)."""

    def is_scope(node):
        return (
            isinstance(node, WhereNode)
            and node.connector == OR
            and not node.negated
            and len(node.children) == 2
            and isinstance(node.children[1], AnyOf)
            and node.children[1].rhs == assisted
        )

    def strip(node):
        if not isinstance(node, WhereNode) or node.connector != AND or node.negated:
            return node
        copy = node.clone()
        copy.children = [strip(child) for child in node.children if not is_scope(child)]
        return copy

    return strip(where)


class AssetTier(models.Model):
    """A value tier on monthly average financial assets (月日均金融资产); admins edit the rules."""

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=50)
    name_en = models.CharField(_("English name"), max_length=50, blank=True)
    min_assets = models.DecimalField(
        _("minimum monthly average assets (CNY)"),
        max_digits=16,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )

    class Meta:
        verbose_name = _("asset tier")
        verbose_name_plural = _("asset tiers")
        ordering = ["min_assets"]

    def __str__(self):
        if self.name_en and get_language() == "en":
            return self.name_en
        return self.name


class StarLevel(models.IntegerChoices):
    NONE = 0, _("No star")
    QUASI = 1, _("Quasi-star")
    THREE = 3, _("Three-star")
    FOUR = 4, _("Four-star")
    FIVE = 5, _("Five-star")
    SIX = 6, _("Six-star")
    SEVEN = 7, _("Seven-star")


class StarRule(models.Model):
    """The star points (星点值, last six months) from which a star level starts."""

    level = models.PositiveSmallIntegerField(
        _("star level"), choices=StarLevel.choices, unique=True
    )
    min_points = models.DecimalField(
        _("minimum star points"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )

    class Meta:
        verbose_name = _("star rule")
        verbose_name_plural = _("star rules")
        ordering = ["min_points"]

    def __str__(self):
        return f"{self.get_level_display()} ≥ {self.min_points}"


class TierPolicy(models.Model):
    """The few numbers behind tier changes; one row, edited by admins."""

    downgrade_after_months = models.PositiveSmallIntegerField(
        _("months below a threshold before an asset-tier downgrade"), default=6
    )
    star_points_months = models.PositiveSmallIntegerField(
        _("months of star points that count"), default=6
    )

    class Meta:
        verbose_name = _("tier policy")
        verbose_name_plural = _("tier policy")

    def __str__(self):
        return str(_("Tier policy"))

    @classmethod
    def current(cls):
        return cls.objects.get_or_create(pk=1)[0]


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=30, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self):
        return self.name


# The fields of a customer file that people edit, in the order forms and the API list them.
PROFILE_FIELDS = [
    "kind",
    "name",
    "gender",
    "birth_date",
    "lunar_birthday",
    "id_type",
    "id_number",
    "mobile",
    "email",
    "address",
    "employer",
    "occupation",
    "education",
    "industry",
    "company_size",
    "legal_representative",
    "risk_grade",
    "risk_assessed_on",
    "lifecycle_stage",
    "source",
    "interests",
    "family_notes",
    "notes",
]


class Customer(models.Model):
    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", _("Individual")
        CORPORATE = "corporate", _("Corporate")

    class Gender(models.TextChoices):
        MALE = "M", _("Male")
        FEMALE = "F", _("Female")

    class IdType(models.TextChoices):
        RESIDENT_ID = "resident_id", _("Resident ID card")
        PASSPORT = "passport", _("Passport")
        HK_MACAU = "hk_macau", _("Mainland travel permit for Hong Kong and Macao residents")
        TAIWAN = "taiwan", _("Mainland travel permit for Taiwan residents")
        FOREIGN_PR = "foreign_pr", _("Foreign permanent resident ID card")
        USCC = "uscc", _("Unified social credit code")
        OTHER = "other", _("Other")

    class RiskGrade(models.TextChoices):
        C1 = "C1", _("C1 conservative")
        C2 = "C2", _("C2 cautious")
        C3 = "C3", _("C3 balanced")
        C4 = "C4", _("C4 growth")
        C5 = "C5", _("C5 aggressive")

    class Lifecycle(models.TextChoices):
        PROSPECT = "prospect", _("Prospect")
        NEW = "new", _("New")
        ACTIVE = "active", pgettext_lazy("lifecycle stage", "Active")
        DORMANT = "dormant", _("Dormant")
        LOST = "lost", _("Lost")

    class Education(models.TextChoices):
        SECONDARY = "secondary", _("Secondary school or below")
        COLLEGE = "college", _("College")
        BACHELOR = "bachelor", _("Bachelor")
        MASTER = "master", _("Master")
        DOCTOR = "doctor", _("Doctorate")

    class CompanySize(models.TextChoices):
        MICRO = "micro", _("Micro")
        SMALL = "small", _("Small")
        MEDIUM = "medium", _("Medium")
        LARGE = "large", _("Large")

    customer_no = models.CharField(_("customer number"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    name_pinyin = models.CharField(max_length=200, editable=False, db_index=True)
    name_initials = models.CharField(max_length=50, editable=False)

    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    lunar_birthday = models.BooleanField(
        _("celebrates the lunar birthday"),
        default=False,
        help_text=_("Reminders then follow this year's date of the lunar birthday."),
    )
    # Month × 100 + day of the solar birth date and, for lunar birthdays, of the lunar one:
    # birthday windows become short IN lists (customers.birthdays).
    birth_md = models.PositiveSmallIntegerField(null=True, editable=False)
    lunar_birth_md = models.PositiveSmallIntegerField(null=True, editable=False)
    id_type = models.CharField(_("ID type"), max_length=12, choices=IdType.choices, blank=True)
    id_number = models.CharField(_("ID number"), max_length=32, blank=True)
    mobile = models.CharField(_("mobile"), max_length=11, blank=True)
    email = models.EmailField(_("email"), blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)

    employer = models.CharField(_("employer"), max_length=100, blank=True)
    occupation = models.CharField(_("occupation"), max_length=50, blank=True)
    education = models.CharField(
        _("education"), max_length=12, choices=Education.choices, blank=True
    )
    industry = models.CharField(_("industry"), max_length=50, blank=True)
    company_size = models.CharField(
        _("company size"), max_length=8, choices=CompanySize.choices, blank=True
    )
    legal_representative = models.CharField(_("legal representative"), max_length=50, blank=True)

    risk_grade = models.CharField(
        _("risk tolerance"), max_length=2, choices=RiskGrade.choices, blank=True
    )
    # The questionnaire behind the grade expires (12 months by default): products with a
    # risk level are sold only on a grade assessed within its validity.
    risk_assessed_on = models.DateField(_("risk assessed on"), null=True, blank=True)
    lifecycle_stage = models.CharField(
        _("lifecycle stage"), max_length=10, choices=Lifecycle.choices, default=Lifecycle.NEW
    )
    source = models.CharField(_("source"), max_length=50, blank=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="+")
    interests = models.CharField(_("interests"), max_length=200, blank=True)
    family_notes = models.TextField(_("family notes"), blank=True)
    notes = models.TextField(_("notes"), blank=True)

    # The foreign keys below are indexed by the composite indexes in Meta, which start with
    # them; a single-column index each would only slow every write down.
    branch = models.ForeignKey(
        Branch,
        verbose_name=_("branch"),
        on_delete=models.PROTECT,
        related_name="customers",
        db_index=False,
    )
    primary_rm = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("primary RM"),
        on_delete=models.PROTECT,
        related_name="primary_customers",
        db_index=False,
    )

    # Derived from the monthly snapshots by customers.tiers; kept here so lists filter and
    # sort on the customer row alone.
    asset_tier = models.ForeignKey(
        AssetTier,
        verbose_name=_("asset tier"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    star_level = models.PositiveSmallIntegerField(
        _("star level"), choices=StarLevel.choices, default=StarLevel.NONE
    )
    monthly_avg_assets = models.DecimalField(
        _("monthly average assets"), max_digits=16, decimal_places=2, default=Decimal("0")
    )

    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True, editable=False)

    # History is read per customer (by id): the copies of the search indexes would only cost
    # every write (an import writes a history row per customer).
    history = HistoricalRecords(
        excluded_fields=["name_pinyin", "name_initials", "updated_at"],
        no_db_index=[
            "customer_no",
            "name",
            "id_number",
            "mobile",
            "branch",
            "primary_rm",
            "asset_tier",
        ],
    )
    objects = CustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-monthly_avg_assets", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["id_type", "id_number"],
                condition=~Q(id_number=""),
                name="customer_id_number_unique",
            ),
        ]
        indexes = [
            # The list's default order, alone (admins) and behind each scope predicate.
            models.Index(fields=["-monthly_avg_assets", "-id"], name="customer_value_order"),
            models.Index(fields=["primary_rm", *BOOK_INDEX_ORDER], name="customer_rm_value"),
            models.Index(
                fields=["branch", "-monthly_avg_assets", "-id"], name="customer_branch_value"
            ),
            # The tier filter in the list's order: the lowest tier's customers sit at the far
            # end of customer_value_order, which PostgreSQL otherwise walks from the top.
            models.Index(
                fields=["asset_tier", "-monthly_avg_assets", "-id"], name="customer_tier_value"
            ),
            # Search is by prefix (LIKE 'x%'), which needs the pattern operator class on
            # PostgreSQL; the same index serves equality. (Elsewhere a plain index.)
            *[
                models.Index(
                    fields=[field],
                    name=f"customer_{field}_prefix",
                    opclasses=["varchar_pattern_ops"],
                )
                for field in ("name", "name_initials", "id_number", "mobile")
            ],
            # A head's search: two or three initials match ~1% of a million customers, and
            # the branch first keeps it to their subtree's share (62 ms → 5 ms at 1 M).
            models.Index(
                fields=["branch", "name_initials"],
                name="customer_branch_initials",
                opclasses=["int8_ops", "varchar_pattern_ops"],
            ),
            models.Index(fields=["birth_md"], name="customer_birthday"),
            # Only customers who keep the lunar birthday have a lunar date (about one in
            # twelve): the others need no entry.
            models.Index(
                fields=["lunar_birth_md"],
                name="customer_lunar_birthday",
                condition=models.Q(lunar_birth_md__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.customer_no})"

    def save(self, *args, **kwargs):
        self.derive_fields()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, *self.DERIVED_FIELDS}
        super().save(*args, **kwargs)

    DERIVED_FIELDS = ("name_pinyin", "name_initials", "birth_md", "lunar_birth_md")

    def clean(self):
        """The customer's rules (customers.validators.check_customer), for every ModelForm of
        a customer: the customer form and the Django admin. The API and the importer call
        the same function."""
        values = {name: getattr(self, name) for name in validators.CUSTOMER_RULE_FIELDS}
        errors = validators.check_customer(
            values,
            id_taken=lambda id_type, id_number: validators.id_number_in_use(
                id_type, id_number, exclude_pk=self.pk
            ),
        )
        self.id_number, self.mobile = values["id_number"], values["mobile"]
        if errors:
            raise ValidationError(errors)

    def derive_fields(self):
        """Fill the search and birthday keys; bulk inserts call this since they skip save()."""
        self.name_pinyin, self.name_initials = name_keys(
            self.name, person=self.kind == self.Kind.INDIVIDUAL
        )
        self.birth_md = solar_md(self.birth_date) if self.birth_date else None
        self.lunar_birth_md = (
            lunar_md_of(self.birth_date) if self.birth_date and self.lunar_birthday else None
        )

    # Who may do what on one customer. Each rule is written once, here; the services enforce
    # it, and views, the API, the Django admin and templates ask it. Every rule is "among
    # those who can see the customer" (``Customer.objects.visible_to``): the scope is checked
    # where the customer is read, and again by the service that writes.

    def editable_by(self, user) -> bool:
        """Rule: among those who can see the customer, the primary RM, a branch head and an
        admin edit the file; assisting RMs only read it. Nobody edits an archived file until
        an admin restores it."""
        if self.is_archived or not user.is_active:
            return False
        return user.is_admin or user.is_head or self.primary_rm_id == user.pk

    def archivable_by(self, user) -> bool:
        """Rule: among those who can see the customer, a branch head or an admin archives a
        file that is not archived yet. RMs do not: archiving hides the customer from them."""
        return not self.is_archived and user.is_active and (user.is_head or user.is_admin)

    def restorable_by(self, user) -> bool:
        """Rule: only an admin restores an archived file (heads no longer see it)."""
        return self.is_archived and user.is_active and user.is_admin

    def deletable_by(self, user) -> bool:
        """Rule: only an admin deletes a file, and only after typing its customer number
        (``services.delete_customer``)."""
        return user.is_active and user.is_admin

    def may_be_handed_over_by(self, user) -> bool:
        """Rule: among those who can see the customer, a user who may hand over
        (``User.may_hand_over``) moves a file that is not archived."""
        return not self.is_archived and user.may_hand_over

    def permissions_for(self, user) -> dict:
        """The rules above for one user, for a template: ``{% if may.archive %}``."""
        return {
            "edit": self.editable_by(user),
            "archive": self.archivable_by(user),
            "restore": self.restorable_by(user),
            "delete": self.deletable_by(user),
            "hand_over": self.may_be_handed_over_by(user),
        }

    @property
    def is_archived(self):
        return self.archived_at is not None

    @property
    def is_corporate(self):
        return self.kind == self.Kind.CORPORATE

    @property
    def masked_id_number(self):
        return mask_id_number(self.id_number)

    @property
    def masked_mobile(self):
        return mask_mobile(self.mobile)


def mask_id_number(value: str) -> str:
    """``110101199003071234`` → ``110101********1234``: region and last four stay readable."""
    if not value:
        return ""
    if len(value) <= 8:
        return value[:1] + "*" * (len(value) - 1)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_mobile(value: str) -> str:
    """``13812345678`` → ``138****5678``."""
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


class CustomerAssistant(models.Model):
    """An assisting RM (协办) of a customer."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="assistants")
    rm = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assisted_customers"
    )

    class Meta:
        verbose_name = _("assisting RM")
        verbose_name_plural = _("assisting RMs")
        constraints = [
            models.UniqueConstraint(fields=["customer", "rm"], name="customer_assistant_unique")
        ]
        indexes = [models.Index(fields=["rm", "customer"], name="assistant_by_rm")]

    def __str__(self):
        return f"{self.rm} → {self.customer}"


class Assignment(models.Model):
    """Who held a customer, and when: one row per primary or assisting RM period."""

    class Role(models.TextChoices):
        PRIMARY = "primary", _("Primary RM")
        ASSISTING = "assisting", _("Assisting RM")

    # Indexed by assignment_by_customer (customer, -started_at), which starts with it.
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="assignments", db_index=False
    )
    rm = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    started_at = models.DateTimeField(_("from"), default=timezone.now)
    ended_at = models.DateTimeField(_("until"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["customer", "-started_at"], name="assignment_by_customer")]

    def __str__(self):
        return f"{self.customer}: {self.rm} ({self.get_role_display()})"


class KeyContact(models.Model):
    """A person at a corporate customer whom the RM deals with."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=50)
    title = models.CharField(_("title"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)

    class Meta:
        verbose_name = _("key contact")
        verbose_name_plural = _("key contacts")
        ordering = ["id"]
        # The birthday reminders look contacts up by month and day.
        indexes = [
            models.Index(ExtractMonth("birthday"), ExtractDay("birthday"), name="contact_birthday")
        ]

    def __str__(self):
        return self.name

    def clean(self):
        """A key contact's birthday is a birth date like a customer's: 1900 to today."""
        try:
            validators.check_birth_date(self.birthday)
        except ValidationError as error:
            raise ValidationError({"birthday": error.messages}) from error


class Relation(models.Model):
    """A link between two customers, read from either side."""

    class Kind(models.TextChoices):
        HOUSEHOLD = "household", _("Household member")
        SPOUSE = "spouse", _("Spouse")
        SHAREHOLDER = "shareholder", _("Shareholder")
        SUPPLIER = "supplier", _("Supplier")
        GUARANTOR = "guarantor", _("Guarantor")
        GROUP_MEMBER = "group_member", _("Group member")

    # A relation reads "from_customer is the <kind> of to_customer". On to_customer's page
    # from_customer shows under the kind's label; on from_customer's page to_customer shows
    # under the inverse label (A supplies B: at B, A is "Supplier"; at A, B is "Buyer").
    INVERSE_LABELS = {
        Kind.HOUSEHOLD: _("Household member"),
        Kind.SPOUSE: _("Spouse"),
        Kind.SHAREHOLDER: _("Invested company"),
        Kind.SUPPLIER: _("Buyer"),
        Kind.GUARANTOR: _("Guaranteed party"),
        Kind.GROUP_MEMBER: _("Group"),
    }

    from_customer = models.ForeignKey(
        Customer,
        verbose_name=_("from customer"),
        on_delete=models.CASCADE,
        related_name="relations_out",
    )
    to_customer = models.ForeignKey(
        Customer,
        verbose_name=_("to customer"),
        on_delete=models.CASCADE,
        related_name="relations_in",
    )
    kind = models.CharField(_("relation"), max_length=14, choices=Kind.choices)
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("relation")
        verbose_name_plural = _("relations")
        constraints = [
            models.UniqueConstraint(
                fields=["from_customer", "to_customer", "kind"], name="relation_unique"
            ),
            models.CheckConstraint(
                condition=~Q(from_customer=models.F("to_customer")), name="relation_not_self"
            ),
        ]

    def __str__(self):
        return f"{self.from_customer} → {self.to_customer} ({self.get_kind_display()})"


class Product(models.Model):
    class Category(models.TextChoices):
        DEMAND_DEPOSIT = "demand_deposit", _("Demand deposit")
        TIME_DEPOSIT = "time_deposit", _("Time deposit")
        LARGE_CD = "large_cd", _("Large certificate of deposit")
        WEALTH = "wealth", _("Wealth management product")
        FUND = "fund", _("Fund")
        INSURANCE = "insurance", _("Insurance")
        BOND = "bond", _("Bond")
        PERSONAL_LOAN = "personal_loan", _("Personal loan")
        BUSINESS_LOAN = "business_loan", _("Business loan")
        CREDIT_CARD = "credit_card", _("Credit card")
        PAYROLL = "payroll", _("Payroll agency")
        CASH_MANAGEMENT = "cash_management", _("Cash management")
        INTERNATIONAL = "international", _("International settlement")
        CUSTODY = "custody", _("Third-party custody")

    class RiskLevel(models.TextChoices):
        R1 = "R1", _("R1 low")
        R2 = "R2", _("R2 medium-low")
        R3 = "R3", _("R3 medium")
        R4 = "R4", _("R4 medium-high")
        R5 = "R5", _("R5 high")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    risk_level = models.CharField(_("risk level"), max_length=2, choices=RiskLevel.choices)
    matures = models.BooleanField(_("has a maturity date"), default=False)
    min_star_level = models.PositiveSmallIntegerField(
        _("minimum star level for holders"),
        choices=StarLevel.choices,
        default=StarLevel.NONE,
        help_text=_("A card that lifts its holders to at least this star level."),
    )
    is_active = models.BooleanField(_("on sale"), default=True)
    needs_dual_recording = models.BooleanField(
        _("sale recorded on audio and video"),
        default=False,
        help_text=_("双录: the sale must be recorded on audio and video before it is won."),
    )

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["category", "code"]

    def __str__(self):
        return f"{self.name} ({self.code})"


class Holding(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("holding status", "Active")
        MATURED = "matured", _("Matured")
        CLOSED = "closed", _("Closed")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="holdings"
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="holdings"
    )
    account_no = models.CharField(_("account number"), max_length=40)
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    opened_on = models.DateField(_("opened on"), null=True, blank=True)
    matures_on = models.DateField(_("matures on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.ACTIVE
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("holding")
        verbose_name_plural = _("holdings")
        ordering = ["matures_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "account_no"], name="holding_account_unique")
        ]
        indexes = [
            models.Index(
                fields=["matures_on"],
                condition=Q(status="active", matures_on__isnull=False),
                name="holding_active_maturity",
            ),
            models.Index(fields=["customer", "status"], name="holding_by_customer"),
        ]

    def __str__(self):
        return f"{self.product.name} {self.account_no}"

    def clean(self):
        """The holding's rules (customers.validators.check_holding), shared with the import."""
        errors = validators.check_holding(
            {"amount": self.amount, "opened_on": self.opened_on, "matures_on": self.matures_on}
        )
        if errors:
            raise ValidationError(errors)


class MonthlyBalance(models.Model):
    """One customer's month: daily averages (日均) and star points; drives tiers and charts."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="balances"
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    avg_financial_assets = models.DecimalField(
        _("average daily financial assets"), max_digits=16, decimal_places=2
    )
    avg_deposits = models.DecimalField(
        _("average daily deposits"), max_digits=16, decimal_places=2, default=Decimal("0")
    )
    avg_loans = models.DecimalField(
        _("average daily loans"), max_digits=16, decimal_places=2, default=Decimal("0")
    )
    star_points = models.DecimalField(
        _("star points"), max_digits=14, decimal_places=2, default=Decimal("0")
    )

    class Meta:
        verbose_name = _("monthly balance")
        verbose_name_plural = _("monthly balances")
        ordering = ["customer", "month"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "month"], name="balance_month_unique"),
        ]

    def __str__(self):
        return f"{self.customer} {self.month:%Y-%m}"

    def clean(self):
        """The balance's rules (customers.validators.check_balance), shared with the import."""
        errors = validators.check_balance(
            {name: getattr(self, name) for name in ("month", *validators.BALANCE_AMOUNTS)}
        )
        if errors:
            raise ValidationError(errors)


class TierChange(models.Model):
    class Kind(models.TextChoices):
        ASSET = "asset", _("Asset tier")
        STAR = "star", _("Star level")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="tier_changes")
    kind = models.CharField(
        pgettext_lazy("tier change", "kind"), max_length=5, choices=Kind.choices
    )
    old_value = models.CharField(_("from"), max_length=50, blank=True)
    new_value = models.CharField(_("to"), max_length=50, blank=True)
    effective_on = models.DateField(_("effective on"))
    reason = models.CharField(_("reason"), max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("tier change")
        verbose_name_plural = _("tier changes")
        ordering = ["-effective_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "kind", "effective_on"], name="tier_change_once_a_day"
            )
        ]

    def __str__(self):
        return f"{self.customer} {self.old_value} → {self.new_value}"


class SensitiveAccess(models.Model):
    """A record that someone saw full ID or phone numbers, or exported customers."""

    class Action(models.TextChoices):
        VIEW = "view", _("Viewed full details")
        EXPORT = "export", _("Exported")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=6, choices=Action.choices)
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        verbose_name = _("sensitive access")
        verbose_name_plural = _("sensitive accesses")
        ordering = ["-at"]

    def __str__(self):
        return f"{self.user} {self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"
