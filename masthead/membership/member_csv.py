"""Members in and out as CSV, in Ghost's members CSV format.

A newsroom moving from Ghost brings its members file as it is, and a file exported
here opens in Ghost. The export columns are Ghost's, in Ghost's order:
``id,email,name,note,subscribed_to_emails,complimentary_plan,stripe_customer_id,
created_at,deleted_at,labels,tiers``.

The import reads Ghost's columns the way Ghost's importer does: a blank name or note
keeps what the member already has, labels are added and never removed, and
``complimentary_plan=true`` comps the member to the tier named in ``tiers`` (Ghost's
``import_tier``) or else the cheapest active paid tier. Every row is checked first;
rows with problems are reported with their line number and the rest are imported.
Importing the same file twice changes nothing the second time.

The import writes in bulk, so it is a writer like ``actions.py``: it keeps the same
rules (statuses come only from ``actions.comp_member``, and each created or changed
member gets one ``IMPORTED`` event on their timeline).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from itertools import islice
from typing import Any, Protocol, cast

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from . import actions, signals
from .exceptions import MembershipError
from .models import (
    Label,
    Member,
    MemberEvent,
    Membership,
    MemberStatus,
    SignupSource,
    Tier,
    normalise_email,
)

GHOST_COLUMNS = (
    "id",
    "email",
    "name",
    "note",
    "subscribed_to_emails",
    "complimentary_plan",
    "stripe_customer_id",
    "created_at",
    "deleted_at",
    "labels",
    "tiers",
)
# Columns the import reads. ``id`` keeps a Ghost id on new members; ``deleted_at`` is
# known but not read (Ghost exports only members that exist).
READ_COLUMNS = frozenset(GHOST_COLUMNS) - {"deleted_at"}
# Other spellings seen in Ghost files: older exports call tiers "products", Ghost's
# importer reads "import_tier", and its API calls the email flag "subscribed".
COLUMN_ALIASES = {
    "subscribed": "subscribed_to_emails",
    "import_tier": "tiers",
    "tier": "tiers",
    "products": "tiers",
    "label": "labels",
    "complimentary": "complimentary_plan",
    "email_address": "email",
}
BATCH_SIZE = 500
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_NAME_LENGTH = 191
GHOST_ID = re.compile(r"[0-9a-f]{24}")
TRUE_VALUES = frozenset({"true", "1", "yes"})
FALSE_VALUES = frozenset({"false", "0", "no"})
# A cell starting with one of these runs as a formula when the file is opened in a
# spreadsheet. The export prefixes such cells with an apostrophe (OWASP's advice) and
# the import takes it off again, so a round trip keeps the value.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class CSVFileError(MembershipError):
    """The file as a whole cannot be imported; nothing was changed."""

    code = "csv_file_error"

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def user_message(self) -> str:
        return self.message


@dataclass(frozen=True)
class MemberRow:
    """One valid line of an import file, ready to apply."""

    line: int
    email: str
    name: str
    note: str
    labels: tuple[str, ...]
    created_at: datetime | None
    comp_tier: Tier | None
    ghost_id: str = ""
    subscribed: bool | None = None
    stripe_customer_id: str = ""


@dataclass(frozen=True)
class RejectedRow:
    line: int
    email: str
    reason: str


@dataclass
class ParsedFile:
    rows: list[MemberRow]
    rejected: list[RejectedRow]
    columns: list[str]
    ignored_columns: list[str]


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    comped: int = 0
    labels_created: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated + self.unchanged

    def add(self, other: ImportSummary) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.comped += other.comped
        self.labels_created += other.labels_created


# --- Reading a file ---------------------------------------------------------------------


def decode_csv_bytes(raw: bytes) -> str:
    """The file's text, without a byte order mark; only UTF-8 is accepted."""
    if len(raw) > MAX_FILE_BYTES:
        raise CSVFileError(
            "too_large",
            _(
                "The file is larger than %(size)s MB. Split it into smaller files and "
                "import them one after another."
            )
            % {"size": MAX_FILE_BYTES // (1024 * 1024)},
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CSVFileError(
            "not_utf8",
            _(
                "This is not a CSV file in UTF-8. Export it again as CSV (in Excel: "
                "“CSV UTF-8”), then import that file."
            ),
        ) from None
    if "\x00" in text:
        raise CSVFileError(
            "not_csv",
            _("This is not a CSV file. Export your members as CSV, then import that file."),
        )
    return text


def column_name(header: str) -> str:
    """``" Subscribed To Emails"`` → ``"subscribed_to_emails"``: headers are forgiving."""
    name = header.replace("\ufeff", "").strip().lower()
    name = re.sub(r"[\s\-]+", "_", name)
    return COLUMN_ALIASES.get(name, name)


def _detect_delimiter(text: str) -> str:
    # Spreadsheets in many European locales save CSV with semicolons. The header line
    # decides: whichever delimiter yields an email column wins.
    first_line = text.split("\n", 1)[0]
    for delimiter in (",", ";"):
        headers = next(csv.reader([first_line], delimiter=delimiter), [])
        if "email" in {column_name(h) for h in headers}:
            return delimiter
    return ","


def _unescape(value: str) -> str:
    if len(value) > 1 and value[0] == "'" and value[1] in FORMULA_STARTS:
        return value[1:]
    return value


def _split_names(cell: str) -> list[str]:
    """``"press, vip,Press"`` → ``["press", "vip"]``: Ghost's comma-separated names."""
    names: list[str] = []
    seen: set[str] = set()
    for part in cell.split(","):
        name = part.strip()
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            names.append(name)
    return names


def parse_bool(value: str) -> bool | None:
    """True, False, or None for an empty cell; raises ValueError for anything else."""
    value = value.strip().lower()
    if not value:
        return None
    if value in TRUE_VALUES:
        return True
    if value in FALSE_VALUES:
        return False
    raise ValueError(value)


def parse_timestamp(value: str) -> datetime:
    """Ghost's ``2026-01-02T03:04:05.000Z``, other ISO 8601 forms, or a bare date (UTC)."""
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = datetime.combine(date.fromisoformat(value), time.min)
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=UTC)
    try:
        parsed = parsed.astimezone(UTC)
    except OverflowError:
        raise ValueError(value) from None
    # Year 1 or 9999 is a placeholder in some exports, and would overflow when shown
    # in a timezone west or east of UTC.
    if not 1900 <= parsed.year <= 9000:
        raise ValueError(value)
    return parsed


def format_timestamp(when: datetime) -> str:
    """``2026-01-02T03:04:05.000Z``: UTC with milliseconds, as Ghost writes it."""
    when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def default_comp_tier() -> Tier | None:
    """The cheapest active paid tier: what Ghost comps a member to when no tier is named."""
    tiers = list(Tier.objects.active().paid())

    def monthly_cost(tier: Tier) -> float:
        if tier.monthly_price is not None:
            return tier.monthly_price
        return (tier.yearly_price or 0) / 12

    return min(tiers, key=lambda tier: (monthly_cost(tier), tier.name), default=None)


def parse_members_csv(text: str, *, now: datetime | None = None) -> ParsedFile:
    """Check every line of a members CSV; raise CSVFileError if the file can't be read."""
    now = now or timezone.now()
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise CSVFileError(
            "empty",
            _(
                "The file is empty. Its first line must name the columns (at least "
                "“email”), with one member on each line below."
            ),
        )
    delimiter = _detect_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        headers = next(reader)
    except csv.Error as error:
        raise _unreadable(1, error) from None
    columns = [column_name(h) for h in headers]
    if "email" not in columns:
        found = ", ".join(h.strip() for h in headers if h.strip()) or _("none")
        raise CSVFileError(
            "no_email_column",
            _(
                "The file has no email column. Its first line must name the columns, one of "
                "them “email” (found: %(found)s)."
            )
            % {"found": found[:200]},
        )
    index: dict[str, int] = {}
    for position, name in enumerate(columns):
        if name in READ_COLUMNS:
            index.setdefault(name, position)
    ignored = [h.strip() for h, c in zip(headers, columns, strict=True) if c not in index]

    tiers_by_name: dict[str, Tier] = {}
    for tier in Tier.objects.all():
        tiers_by_name.setdefault(tier.name.casefold(), tier)
        tiers_by_name.setdefault(tier.slug.casefold(), tier)
    fallback_tier = default_comp_tier()

    rows: list[MemberRow] = []
    rejected: list[RejectedRow] = []
    first_line_of: dict[str, int] = {}
    last_line = reader.line_num
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            raise _unreadable(last_line + 1, error) from None
        line = last_line + 1
        last_line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue

        def cell(name: str, cells: list[str] = cells) -> str:
            position = index.get(name)
            if position is None or position >= len(cells):
                return ""
            return _unescape(cells[position].strip())

        result = _check_row(
            line=line,
            cell=cell,
            first_line_of=first_line_of,
            tiers_by_name=tiers_by_name,
            fallback_tier=fallback_tier,
            now=now,
        )
        if isinstance(result, RejectedRow):
            rejected.append(result)
        else:
            rows.append(result)
    return ParsedFile(
        rows=rows,
        rejected=rejected,
        columns=[c for c in GHOST_COLUMNS if c in index],
        ignored_columns=ignored,
    )


def _unreadable(line: int, error: csv.Error) -> CSVFileError:
    return CSVFileError(
        "not_csv",
        _(
            "Line %(line)s cannot be read as CSV (%(error)s). Check the quotes on that line, "
            "or export the file again."
        )
        % {"line": line, "error": error},
    )


def _check_row(
    *,
    line: int,
    cell: Callable[[str], str],
    first_line_of: dict[str, int],
    tiers_by_name: dict[str, Tier],
    fallback_tier: Tier | None,
    now: datetime,
) -> MemberRow | RejectedRow:
    problems: list[str] = []
    raw_email = cell("email")
    email = normalise_email(raw_email)
    if not email:
        problems.append(_("The email address is missing."))
    else:
        try:
            validate_email(email)
            if len(email) > MAX_NAME_LENGTH:
                raise ValidationError("too long")
        except ValidationError:
            problems.append(
                _("“%(email)s” is not a valid email address.") % {"email": raw_email[:100]}
            )
        else:
            if email in first_line_of:
                problems.append(
                    _("The same address is on line %(line)s; keep one line per member.")
                    % {"line": first_line_of[email]}
                )
            else:
                first_line_of[email] = line

    name = cell("name")
    if len(name) > MAX_NAME_LENGTH:
        problems.append(_("The name is longer than %(max)s characters.") % {"max": MAX_NAME_LENGTH})

    subscribed = complimentary = None
    try:
        subscribed = parse_bool(cell("subscribed_to_emails"))
    except ValueError:
        problems.append(_("subscribed_to_emails must be “true” or “false”."))
    try:
        complimentary = parse_bool(cell("complimentary_plan"))
    except ValueError:
        problems.append(_("complimentary_plan must be “true” or “false”."))

    created_at = None
    if raw_created := cell("created_at"):
        try:
            created_at = min(parse_timestamp(raw_created), now)
        except ValueError:
            problems.append(
                _(
                    "created_at “%(value)s” is not a date. Use ISO 8601, e.g. "
                    "2026-01-02T03:04:05.000Z or 2026-01-02."
                )
                % {"value": raw_created[:40]}
            )

    labels = _split_names(cell("labels"))
    if any(len(label) > MAX_NAME_LENGTH for label in labels):
        problems.append(_("A label is longer than %(max)s characters.") % {"max": MAX_NAME_LENGTH})

    tiers: list[Tier] = []
    for tier_name in _split_names(cell("tiers")):
        tier = tiers_by_name.get(tier_name.casefold())
        if tier is None:
            problems.append(
                _(
                    "There is no tier called “%(tier)s”. Create it under Members → Tiers, "
                    "or correct the name."
                )
                % {"tier": tier_name[:100]}
            )
        else:
            tiers.append(tier)

    comp_tier = None
    if complimentary:
        paid = [tier for tier in tiers if not tier.is_free]
        if paid:
            comp_tier = paid[0]
        elif tiers:
            problems.append(
                _(
                    "A complimentary plan needs a paid tier, and “%(tier)s” is free. Name a "
                    "paid tier in “tiers”, or set complimentary_plan to false."
                )
                % {"tier": tiers[0].name}
            )
        elif fallback_tier is None:
            problems.append(
                _(
                    "There is no active paid tier to give a complimentary plan for. Add one "
                    "under Members → Tiers first, or set complimentary_plan to false."
                )
            )
        else:
            comp_tier = fallback_tier

    if problems:
        return RejectedRow(line=line, email=raw_email[:191], reason=" ".join(problems))
    ghost_id = cell("id").lower()
    return MemberRow(
        line=line,
        email=email,
        name=name,
        note=cell("note"),
        labels=tuple(labels),
        created_at=created_at,
        comp_tier=comp_tier,
        ghost_id=ghost_id if GHOST_ID.fullmatch(ghost_id) else "",
        subscribed=subscribed,
        stripe_customer_id=cell("stripe_customer_id")[:255],
    )


# --- Importing ----------------------------------------------------------------------


class _LabelCache:
    """Labels by case-folded name and by slug, created on first use."""

    def __init__(self) -> None:
        self.reload()

    def reload(self) -> None:
        self.by_key: dict[str, Label] = {}
        for label in Label.objects.all():
            self._remember(label)

    def _remember(self, label: Label) -> None:
        self.by_key.setdefault(label.name.casefold(), label)
        self.by_key.setdefault("slug:" + label.slug, label)

    def find(self, name: str) -> Label | None:
        slug = slugify(name)[:191]
        return self.by_key.get(name.casefold()) or (
            self.by_key.get("slug:" + slug) if slug else None
        )

    def get(self, name: str) -> Label:
        label = self.find(name)
        if label is None:
            raise KeyError(name)
        return label

    def ensure(self, names: Iterable[str]) -> int:
        created = 0
        for name in names:
            if self.find(name) is None:
                label = Label(name=name)
                label.save()
                self._remember(label)
                created += 1
        return created


def import_members(
    parsed: ParsedFile,
    *,
    actor: actions.Actor = None,
    file_name: str = "",
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], object] | None = None,
) -> ImportSummary:
    """Create or update the members in ``parsed``, one transaction per batch of rows.

    A crash loses only the batch in progress: every batch before it is committed, and
    importing the file again picks up where it stopped.
    """
    summary = ImportSummary(rejected=list(parsed.rejected), ignored_columns=parsed.ignored_columns)
    labels = _LabelCache()
    rows = iter(parsed.rows)
    while batch := list(islice(rows, batch_size)):
        try:
            with transaction.atomic():
                counts = _import_batch(batch, labels=labels, actor=actor, file_name=file_name)
        except IntegrityError:
            # Someone signed up with an address in this batch while it ran; the second
            # attempt finds them and updates them instead.
            labels.reload()
            with transaction.atomic():
                counts = _import_batch(batch, labels=labels, actor=actor, file_name=file_name)
        summary.add(counts)
        if progress is not None:
            progress(len(batch))
    return summary


def import_members_csv(
    text: str,
    *,
    actor: actions.Actor = None,
    file_name: str = "",
    progress: Callable[[int], object] | None = None,
) -> ImportSummary:
    """Parse and import in one call (the admin's upload form uses this)."""
    parsed = parse_members_csv(text)
    return import_members(parsed, actor=actor, file_name=file_name, progress=progress)


def _event_detail(row: MemberRow, file_name: str, **extra: Any) -> dict[str, Any]:
    detail: dict[str, Any] = {"line": row.line, **extra}
    if file_name:
        detail["file"] = file_name[:200]
    if row.stripe_customer_id:
        # Kept for when payments arrive: linking the Stripe customer needs it.
        detail["stripe_customer_id"] = row.stripe_customer_id
    if row.subscribed is False:
        detail["subscribed_to_emails"] = False
    return detail


def _import_batch(
    batch: Sequence[MemberRow],
    *,
    labels: _LabelCache,
    actor: actions.Actor,
    file_name: str,
) -> ImportSummary:
    counts = ImportSummary()
    now = timezone.now()
    actor_id = actor.pk if actor is not None and actor.is_authenticated else None
    existing = {
        member.email: member
        for member in Member.objects.filter(email__in=[row.email for row in batch]).order_by()
    }
    # Plain lookups, not prefetch_related: with thousands of members per file, building
    # a related manager for each one costs more than the queries themselves.
    through = Member.labels.through
    existing_pks = [member.pk for member in existing.values()]
    labels_of: dict[int, set[int]] = {}
    for member_id, label_id in through.objects.filter(member_id__in=existing_pks).values_list(
        "member_id", "label_id"
    ):
        labels_of.setdefault(member_id, set()).add(label_id)
    comped = set(
        Membership.objects.active(now)
        .filter(member_id__in=existing_pks, source=Membership.Source.COMP)
        .values_list("member_id", flat=True)
    )
    counts.labels_created = labels.ensure(name for row in batch for name in row.labels)
    new_links: list[Any] = []
    events: list[MemberEvent] = []
    comps: list[tuple[Member, Tier, MemberRow]] = []

    # New members, in bulk.
    new_rows = [row for row in batch if row.email not in existing]
    wanted_ids = [row.ghost_id for row in new_rows if row.ghost_id]
    taken_ids = set(
        Member.objects.filter(ghost_id__in=wanted_ids).values_list("ghost_id", flat=True)
    )
    new_members = []
    for row in new_rows:
        member = Member(
            email=row.email,
            name=row.name,
            note=row.note,
            signup_source=SignupSource.IMPORT,
            created_at=row.created_at or now,
        )
        if row.ghost_id and row.ghost_id not in taken_ids:
            member.ghost_id = row.ghost_id
            taken_ids.add(row.ghost_id)
        new_members.append(member)
    Member.objects.bulk_create(new_members)
    new_pks = dict(
        Member.objects.filter(email__in=[m.email for m in new_members]).values_list("email", "pk")
    )
    for member, row in zip(new_members, new_rows, strict=True):
        member.pk = new_pks[member.email]
        for name in row.labels:
            new_links.append(through(member_id=member.pk, label_id=labels.get(name).pk))
        events.append(
            MemberEvent(
                member_id=member.pk,
                kind=MemberEvent.Kind.IMPORTED,
                actor_id=actor_id,
                created_at=now,
                detail=_event_detail(row, file_name),
            )
        )
        if row.comp_tier is not None:
            comps.append((member, row.comp_tier, row))
    counts.created = len(new_members)

    # Existing members: only what differs, and nothing taken away.
    changed_members = []
    for row in batch:
        existing_member = existing.get(row.email)
        if existing_member is None:
            continue
        changed: list[str] = []
        if row.name and row.name != existing_member.name:
            existing_member.name = row.name
            changed.append("name")
        if row.note and row.note != existing_member.note:
            existing_member.note = row.note
            changed.append("note")
        current = labels_of.setdefault(existing_member.pk, set())
        added = []
        for name in row.labels:
            label = labels.get(name)
            if label.pk not in current:
                current.add(label.pk)
                added.append(label.name)
                new_links.append(through(member_id=existing_member.pk, label_id=label.pk))
        if added:
            changed.append("labels")
        if row.comp_tier is not None and existing_member.pk not in comped:
            comps.append((existing_member, row.comp_tier, row))
            changed.append("complimentary_plan")
        if changed:
            existing_member.updated_at = now
            changed_members.append(existing_member)
            events.append(
                MemberEvent(
                    member_id=existing_member.pk,
                    kind=MemberEvent.Kind.IMPORTED,
                    actor_id=actor_id,
                    created_at=now,
                    detail=_event_detail(row, file_name, changed=changed, labels_added=added),
                )
            )
            counts.updated += 1
        else:
            counts.unchanged += 1

    Member.objects.bulk_update(changed_members, ["name", "note", "updated_at"])
    through.objects.bulk_create(new_links, ignore_conflicts=True)
    MemberEvent.objects.bulk_create(events)
    for member, tier, row in comps:
        actions.comp_member(
            member=member,
            tier=tier,
            actor=actor,
            note=_("Imported from %(file)s, line %(line)s")
            % {"file": file_name or "CSV", "line": row.line},
        )
    counts.comped = len(comps)
    # After the comps: paid-only newsletters are open to members comped just now.
    emails = {row.email: row.subscribed for row in batch}
    member_ids = {**{m.email: m.pk for m in new_members}, **{e: m.pk for e, m in existing.items()}}
    new_emails = {m.email for m in new_members}
    signals.members_imported.send(
        sender=Member,
        subscribed=[
            member_ids[email]
            for email, flag in emails.items()
            if flag or (flag is None and email in new_emails)
        ],
        unsubscribed=[member_ids[email] for email, flag in emails.items() if flag is False],
    )
    return counts


# --- Exporting ----------------------------------------------------------------------


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


class _Echo:
    """A file-like object whose ``write`` returns the line, for streaming with csv.writer."""

    def write(self, text: str) -> str:
        return text


def _escape(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def member_row(
    member: Member, *, labels: Iterable[str], tiers: Iterable[str], subscribed: bool = True
) -> list[str]:
    """One member as Ghost's export columns; ``tiers`` are those of active memberships."""
    return [
        member.ghost_id,
        _escape(member.email),
        _escape(member.name),
        _escape(member.note),
        "true" if subscribed else "false",
        "true" if member.status == MemberStatus.COMPED else "false",
        "",
        format_timestamp(member.created_at),
        "",
        _escape(",".join(sorted(labels, key=str.casefold))),
        _escape(",".join(tiers)),
    ]


def _rows_for(members: list[Member]) -> Iterator[list[str]]:
    """Rows for one chunk of members: two queries, for their labels and their tiers."""
    pks = [member.pk for member in members]
    labels: dict[int, list[str]] = {}
    for member_id, name in Member.labels.through.objects.filter(member_id__in=pks).values_list(
        "member_id", "label__name"
    ):
        labels.setdefault(member_id, []).append(name)
    tiers: dict[int, list[str]] = {}
    for member_id, name in (
        Membership.objects.active()
        .filter(member_id__in=pks)
        .exclude(tier__kind=Tier.Kind.FREE)
        .order_by("starts_at", "pk")
        .values_list("member_id", "tier__name")
    ):
        names = tiers.setdefault(member_id, [])
        if name not in names:
            names.append(name)
    # Newsletter subscriptions belong to the newsletters app, which answers the signal.
    replies = signals.email_recipients_among.send(sender=Member, member_ids=pks)
    answers = [cast(set[int], answer) for _receiver, answer in replies if isinstance(answer, set)]
    receiving = set().union(*answers) if answers else set(pks)
    for member in members:
        yield member_row(
            member,
            labels=labels.get(member.pk, []),
            tiers=tiers.get(member.pk, []),
            subscribed=member.pk in receiving,
        )


def iter_members_csv(members: QuerySet[Member], *, chunk_size: int = 1000) -> Iterator[str]:
    """The CSV text, one line at a time, for a StreamingHttpResponse."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield writer.writerow(GHOST_COLUMNS)
    chunk: list[Member] = []
    for member in members.prefetch_related(None).iterator(chunk_size=chunk_size):
        chunk.append(member)
        if len(chunk) == chunk_size:
            yield from (writer.writerow(row) for row in _rows_for(chunk))
            chunk = []
    if chunk:
        yield from (writer.writerow(row) for row in _rows_for(chunk))


def write_members_csv(
    members: QuerySet[Member],
    stream: _Writable,
    *,
    progress: Callable[[int], object] | None = None,
) -> int:
    """Write ``members`` to ``stream``; returns how many were written."""
    lines = iter_members_csv(members)
    stream.write(next(lines))
    count = 0
    for line in lines:
        stream.write(line)
        count += 1
        if progress is not None:
            progress(1)
    return count
