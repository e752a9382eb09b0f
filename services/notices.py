"""Due-work notices: each center's equipment overdue and due soon on a day, printed or e-mailed to its staff.

``python -m services.notices --as-of YYYY-MM-DD [--center CODE] [--window DAYS] [--send]``

What is due comes from the coverage page's action list (``services.coverage_page.action_list``,
built on ``services.calibration.status_query``), so a notice lists exactly what the app shows for
the center on that day. Messages are bilingual, Vietnamese first. SMTP settings come from the
environment or the ``[smtp]`` table of ``.streamlit/secrets.toml`` (the environment wins).
"""

from __future__ import annotations

import argparse
import html
import os
import smtplib
import ssl
import sys
import tomllib
from collections.abc import Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

import pandas as pd
from sqlmodel import Session, col, select

from services.capability_state import CapabilityState, capability_states, links_recorded
from services.coverage_page import action_list, centers_in_view
from services.dataset import default_as_of, demo_as_of
from services.filter_choices import instrument_type_names
from services.filters import Filters
from services.i18n import LANGUAGES, format_day, translate
from services.models import CapabilityStandard, Equipment, Role, User
from services.network import centers_frame

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SECRETS_PATH = PROJECT_ROOT / ".streamlit" / "secrets.toml"
DEFAULT_WINDOW_DAYS = 30
# The .invalid top-level domain is reserved (RFC 2606): mail to a demo account can never be delivered.
DEMO_EMAIL_DOMAIN = "demo.metrology.invalid"
SUBJECT_PREFIX = "[Metrology]"
SMTP_TIMEOUT_SECONDS = 30
EXIT_SETTINGS = 2  # settings missing or wrong, or an unknown center: nothing was tried
EXIT_SEND_FAILED = 1  # at least one center's message could not be sent


def demo_email(username: str) -> str:
    """``ttkt31`` -> ``ttkt31@demo.metrology.invalid``: a demo account's address, undeliverable by design."""
    return f"{username}@{DEMO_EMAIL_DOMAIN}"


# --- what is due ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CenterNotice:
    """One center's due work on a day: ``items`` are action-list rows (overdue first, then due soon)."""

    center_id: int
    center_code: str
    center_name_vi: str
    center_name_en: str
    as_of: date
    window_days: int
    items: pd.DataFrame
    recipients: tuple[str, ...] = ()
    # capabilities at risk or suspended on the day that hang on some of the listed equipment
    # (capabilities_at_risk): one row each, with the listed standards' serials
    capabilities: pd.DataFrame | None = None
    demo_data: bool = False

    @property
    def overdue(self) -> pd.DataFrame:
        return self.items[self.items["status"].astype(str) == "overdue"]

    @property
    def due_soon(self) -> pd.DataFrame:
        return self.items[self.items["status"].astype(str) == "due_soon"]

    @property
    def is_empty(self) -> bool:
        return self.items.empty

    def center_name(self, lang: str) -> str:
        return self.center_name_en if lang == "en" else self.center_name_vi


class UnknownCenterError(ValueError):
    """The center asked for is not open on the day."""


CAPABILITY_COLUMNS = [
    "capability_id",
    "service",
    "instrument_type_code",
    "type_name_vi",
    "type_name_en",
    "state",
    "equipment_id",
    "serial_no",
]


def capabilities_at_risk(session: Session, filters: Filters, equipment_ids: Collection[int]) -> pd.DataFrame:
    """Capabilities at risk or suspended on the day that one of ``equipment_ids`` supports.

    One row per capability and listed standard; the state is ``services.capability_state``'s
    (the rule lives there), so a notice says what the coverage and profile pages say.
    """
    if not equipment_ids or not links_recorded(session):
        return pd.DataFrame(columns=CAPABILITY_COLUMNS)
    links = pd.DataFrame(
        session.execute(
            select(CapabilityStandard.capability_id, CapabilityStandard.equipment_id, Equipment.serial_no)
            .join(Equipment, col(Equipment.id) == col(CapabilityStandard.equipment_id))
            .where(col(CapabilityStandard.equipment_id).in_([int(i) for i in equipment_ids]))
        ).all(),
        columns=["capability_id", "equipment_id", "serial_no"],
    )
    states = capability_states(session, filters)
    states = states[states["state"] != CapabilityState.IN_FORCE.value]
    frame = links.merge(
        states[["capability_id", "service", "instrument_type_code", "state"]], on="capability_id"
    )
    frame = frame.merge(instrument_type_names(session), on="instrument_type_code", how="left")
    frame["order"] = frame["state"].map(
        {CapabilityState.SUSPENDED.value: 0, CapabilityState.AT_RISK.value: 1}
    )
    frame = frame.sort_values(["order", "service", "type_name_vi", "serial_no"], kind="stable")
    return frame[CAPABILITY_COLUMNS].reset_index(drop=True)


def _capabilities_of(links: pd.DataFrame, equipment_ids: Collection[int]) -> pd.DataFrame:
    """One row per capability hanging on some of ``equipment_ids``, with their serials (``serial_nos``)."""
    mine = links[links["equipment_id"].isin([int(i) for i in equipment_ids])]
    keys = ["capability_id", "service", "instrument_type_code", "type_name_vi", "type_name_en", "state"]
    grouped = mine.groupby(keys, sort=False, dropna=False)["serial_no"].agg(
        lambda serials: ", ".join(serials)
    )
    return grouped.rename("serial_nos").reset_index()


def _recipients(session: Session, filters: Filters) -> dict[int, tuple[str, ...]]:
    """Staff addresses per answering center: staff of a center closed by the merger follow its successor."""
    answering = centers_frame(session, filters).set_index("id")["effective_id"]
    users = session.exec(
        select(User).where(User.role == Role.CENTER_STAFF.value, User.disabled == False)  # noqa: E712
    ).all()
    found: dict[int, set[str]] = {}
    for user in users:
        address = (user.email or "").strip()
        if address and user.center_id is not None and user.center_id in answering.index:
            found.setdefault(int(answering[user.center_id]), set()).add(address)
    return {center_id: tuple(sorted(addresses)) for center_id, addresses in found.items()}


def center_notices(
    session: Session, *, as_of: date, center: str | None = None, window_days: int = DEFAULT_WINDOW_DAYS
) -> list[CenterNotice]:
    """The notice of every center open on ``as_of`` (or of ``center``), ordered by center code."""
    filters = Filters(as_of=as_of, center=center, due_window_days=window_days)
    centers = centers_in_view(session, filters)
    if center and centers.empty:
        raise UnknownCenterError(center)
    due = action_list(session, filters)
    recipients = _recipients(session, filters)
    demo = demo_as_of(session) is not None
    at_risk = capabilities_at_risk(session, filters, [int(i) for i in due["equipment_id"]])
    notices = []
    for row in centers.itertuples(index=False):
        center_id = int(row.center_id)  # type: ignore[arg-type]  # pandas-stubs types an itertuples() field as any scalar; this column holds integer ids
        items = due[due["center_id"] == center_id].reset_index(drop=True)
        notices.append(
            CenterNotice(
                center_id=center_id,
                center_code=str(row.code),
                center_name_vi=str(row.name_vi),
                center_name_en=str(row.name_en),
                as_of=as_of,
                window_days=window_days,
                items=items,
                recipients=recipients.get(center_id, ()),
                capabilities=_capabilities_of(at_risk, items["equipment_id"]),
                demo_data=demo,
            )
        )
    return notices


# --- the message -----------------------------------------------------------------------------------------


def subject(notice: CenterNotice) -> str:
    """``[Metrology] TTKT-31: 3 quá hạn, 5 sắp đến hạn / 3 overdue, 5 due soon``."""
    counts = {"overdue": len(notice.overdue), "due_soon": len(notice.due_soon)}
    both = " / ".join(translate("notices.subject", lang, **counts) for lang in LANGUAGES)
    return f"{SUBJECT_PREFIX} {notice.center_code}: {both}"


def _days_text(days: int, lang: str) -> str:
    if days < 0:
        return translate("notices.item.days_overdue", lang, count=-days)
    if days == 0:
        return translate("notices.item.due_today", lang)
    return translate("notices.item.days_left", lang, count=days)


def _item_fields(item: Mapping[Hashable, Any], lang: str) -> dict[str, str]:
    kind = f" ({translate('notices.item.reference_standard', lang)})" if item["is_reference_standard"] else ""
    type_name = item.get(f"type_name_{lang}")
    return {
        "serial": str(item["serial_no"]),
        "name": f"{item['name']}{kind}",
        "type": str(type_name) if isinstance(type_name, str) and type_name else "—",
        "due": format_day(item["due_on"], lang),
        "days": _days_text(int(item["days_to_due"]), lang),
    }


def _sections(notice: CenterNotice, lang: str) -> list[tuple[str, list[dict[str, str]]]]:
    """(heading, item fields) for the overdue and the due-soon equipment, empty sections left out."""
    sections = [
        (translate("notices.section.overdue", lang), notice.overdue),
        (translate("notices.section.due_soon", lang, days=notice.window_days), notice.due_soon),
    ]
    return [
        (heading, [_item_fields(item, lang) for item in frame.to_dict("records")])
        for heading, frame in sections
        if not frame.empty
    ]


def _capability_lines(notice: CenterNotice, lang: str) -> list[str]:
    frame = notice.capabilities
    if frame is None or frame.empty:
        return []
    return [
        translate(
            "notices.capability.line",
            lang,
            service=translate(f"service.{row['service']}", lang),
            type=row[f"type_name_{lang}"]
            if isinstance(row[f"type_name_{lang}"], str)
            else row["instrument_type_code"],
            state=translate(f"notices.capability.state.{row['state']}", lang),
            standards=row["serial_nos"],
        )
        for row in frame.to_dict("records")
    ]


def _heading(notice: CenterNotice, lang: str) -> tuple[str, str]:
    title = translate(
        "notices.title",
        lang,
        center=notice.center_name(lang),
        code=notice.center_code,
        date=format_day(notice.as_of, lang),
    )
    if notice.is_empty:
        return title, translate("notices.nothing_due", lang, days=notice.window_days)
    return title, translate(
        "notices.summary",
        lang,
        overdue=len(notice.overdue),
        due_soon=len(notice.due_soon),
        days=notice.window_days,
    )


def text_body(notice: CenterNotice, lang: str) -> str:
    """The notice in one language as plain text."""
    title, summary = _heading(notice, lang)
    lines = [title, "=" * len(title), summary]
    if notice.demo_data:
        lines.append(translate("notices.demo", lang))
    for heading, items in _sections(notice, lang):
        lines += ["", f"{heading} ({len(items)})"]
        lines += ["- " + translate("notices.item.line", lang, **item) for item in items]
    capabilities = _capability_lines(notice, lang)
    if capabilities:
        lines += ["", translate("notices.capability.title", lang)] + [f"- {line}" for line in capabilities]
    lines += ["", translate("notices.footer", lang)]
    return "\n".join(lines)


def text_message(notice: CenterNotice) -> str:
    """Vietnamese first, then English."""
    return "\n\n".join(text_body(notice, lang) for lang in LANGUAGES) + "\n"


def _html_body(notice: CenterNotice, lang: str) -> str:
    esc = html.escape
    title, summary = _heading(notice, lang)
    parts = [f'<section lang="{lang}">', f"<h2>{esc(title)}</h2>", f"<p>{esc(summary)}</p>"]
    if notice.demo_data:
        parts.append(f"<p><em>{esc(translate('notices.demo', lang))}</em></p>")
    columns = [
        ("serial", "coverage.column.serial_no"),
        ("name", "coverage.column.equipment"),
        ("type", "label.instrument_type"),
        ("due", "coverage.column.due_on"),
        ("days", "coverage.column.days_to_due"),
    ]
    for heading, items in _sections(notice, lang):
        parts.append(f"<h3>{esc(heading)} ({len(items)})</h3>")
        parts.append(
            '<table border="1" cellpadding="4" cellspacing="0"><thead><tr>'
            + "".join(f"<th>{esc(translate(key, lang))}</th>" for _, key in columns)
            + "</tr></thead><tbody>"
        )
        parts += [
            "<tr>" + "".join(f"<td>{esc(item[name])}</td>" for name, _ in columns) + "</tr>" for item in items
        ]
        parts.append("</tbody></table>")
    capabilities = _capability_lines(notice, lang)
    if capabilities:
        parts.append(f"<h3>{esc(translate('notices.capability.title', lang))}</h3><ul>")
        parts += [f"<li>{esc(line)}</li>" for line in capabilities]
        parts.append("</ul>")
    parts += [f"<p><small>{esc(translate('notices.footer', lang))}</small></p>", "</section>"]
    return "\n".join(parts)


def html_message(notice: CenterNotice) -> str:
    body = "\n<hr>\n".join(_html_body(notice, lang) for lang in LANGUAGES)
    return (
        f'<!DOCTYPE html>\n<html lang="vi"><head><meta charset="utf-8"><title>{html.escape(subject(notice))}'
        f"</title></head><body>\n{body}\n</body></html>\n"
    )


def email_message(notice: CenterNotice, *, sender: str) -> EmailMessage:
    """Plain text with an HTML alternative, UTF-8, quoted-printable (7-bit safe on any relay)."""
    message = EmailMessage()
    message["Subject"] = subject(notice)
    message["From"] = sender
    message["To"] = ", ".join(notice.recipients)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(text_message(notice), charset="utf-8", cte="quoted-printable")
    message.add_alternative(html_message(notice), subtype="html", charset="utf-8", cte="quoted-printable")
    return message


# --- SMTP settings and sending -----------------------------------------------------------------------------


class SmtpSettingsError(ValueError):
    """SMTP settings missing or unusable; the message names what to set, in both languages."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = False


SETTING_NAMES = ("SMTP_HOST", "SMTP_PORT", "SMTP_FROM", "SMTP_USER", "SMTP_PASSWORD", "SMTP_STARTTLS")
REQUIRED_SETTINGS = ("SMTP_HOST", "SMTP_PORT", "SMTP_FROM")


def _secrets_table(path: Path) -> dict[str, str]:
    """The ``[smtp]`` table of secrets.toml with keys as the environment names (``host`` or ``SMTP_HOST``)."""
    if not path.is_file():
        return {}
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8")).get("smtp", {})
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise SmtpSettingsError(
            translate("notices.settings.bad_secrets", "vi", path=path, error=error)
            + " / "
            + translate("notices.settings.bad_secrets", "en", path=path, error=error)
        ) from error
    if not isinstance(table, dict):
        return {}
    values = {}
    for key, value in table.items():
        name = key.upper() if key.upper().startswith("SMTP_") else f"SMTP_{key.upper()}"
        if name in SETTING_NAMES and value is not None:
            values[name] = str(value).lower() if isinstance(value, bool) else str(value)
    return values


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _settings_error(key: str, **params: object) -> SmtpSettingsError:
    return SmtpSettingsError(" / ".join(translate(key, lang, **params) for lang in LANGUAGES))


def smtp_settings(environ: Mapping[str, str] | None = None, secrets_path: Path | None = None) -> SmtpSettings:
    """Settings from the environment, else from secrets.toml's ``[smtp]``; SmtpSettingsError names what is missing."""
    environ = os.environ if environ is None else environ
    secrets_path = secrets_path or SECRETS_PATH
    values = _secrets_table(secrets_path)
    values.update({name: environ[name] for name in SETTING_NAMES if environ.get(name, "").strip()})
    missing = [name for name in REQUIRED_SETTINGS if not values.get(name, "").strip()]
    if missing:
        raise _settings_error("notices.settings.missing", names=", ".join(missing), path=secrets_path)
    try:
        port = int(values["SMTP_PORT"])
    except ValueError:
        port = 0
    if not 0 < port < 65536:
        raise _settings_error("notices.settings.bad_port", port=values["SMTP_PORT"])
    user, password = values.get("SMTP_USER"), values.get("SMTP_PASSWORD")
    if bool(user) != bool(password):
        raise _settings_error("notices.settings.login_pair")
    return SmtpSettings(
        host=values["SMTP_HOST"].strip(),
        port=port,
        sender=values["SMTP_FROM"].strip(),
        user=user or None,
        password=password or None,
        starttls=_truthy(values.get("SMTP_STARTTLS")),
    )


def send_message(message: EmailMessage, settings: SmtpSettings) -> None:
    """One connection per message, so a center whose message fails does not take the others with it."""
    with smtplib.SMTP(settings.host, settings.port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
        if settings.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.user and settings.password:
            smtp.login(settings.user, settings.password)
        smtp.send_message(message)


@dataclass
class SendReport:
    sent: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)  # (center code, recipients)
    nothing_due: list[str] = field(default_factory=list)
    no_recipients: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (center code, error)

    @property
    def ok(self) -> bool:
        return not self.failed


def send_notices(
    notices: Iterable[CenterNotice], settings: SmtpSettings, *, progress: bool = True
) -> SendReport:
    """E-mail each center with something due to its staff; centers with nothing due or no address are skipped."""
    from tqdm import tqdm

    notices = list(notices)
    report = SendReport()
    bar = tqdm(notices, desc="notices", unit="center", file=sys.stderr, disable=not progress)
    for notice in bar:
        bar.set_postfix_str(notice.center_code)
        if notice.is_empty:
            report.nothing_due.append(notice.center_code)
            continue
        if not notice.recipients:
            report.no_recipients.append(notice.center_code)
            continue
        try:
            send_message(email_message(notice, sender=settings.sender), settings)
        except (smtplib.SMTPException, OSError) as error:
            report.failed.append((notice.center_code, f"{type(error).__name__}: {error}"))
            bar.write(f"✖ {notice.center_code}: {type(error).__name__}: {error}", file=sys.stderr)
            continue
        report.sent.append((notice.center_code, notice.recipients))
    return report


def notify(
    session: Session,
    *,
    as_of: date,
    center: str | None = None,
    window_days: int = DEFAULT_WINDOW_DAYS,
    settings: SmtpSettings,
    progress: bool = False,
) -> SendReport:
    """Build every center's notice for the day and send it (what ``--send`` does)."""
    return send_notices(
        center_notices(session, as_of=as_of, center=center, window_days=window_days),
        settings,
        progress=progress,
    )


# --- command line ----------------------------------------------------------------------------------------------


def _both(key: str, **params: object) -> str:
    return " / ".join(translate(key, lang, **params) for lang in LANGUAGES)


def print_report(report: SendReport) -> None:
    for code, recipients in report.sent:
        print(f"✔ {code}: {_both('notices.cli.sent', count=len(recipients))} ({', '.join(recipients)})")
    for code in report.no_recipients:
        print(f"○ {code}: {_both('notices.cli.no_recipients')}")
    for code in report.nothing_due:
        print(f"○ {code}: {_both('notices.cli.nothing_due')}")
    for code, error in report.failed:
        print(f"✖ {code}: {_both('notices.cli.failed')} {error}", file=sys.stderr)
    print(
        _both(
            "notices.cli.summary",
            sent=len(report.sent),
            failed=len(report.failed),
            skipped=len(report.no_recipients) + len(report.nothing_due),
        )
    )


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m services.notices", description=_both("notices.cli.description")
    )
    parser.add_argument(
        "--as-of",
        type=date.fromisoformat,
        default=None,
        metavar="YYYY-MM-DD",
        help="the day (default: the day the demo data describes, else today)",
    )
    parser.add_argument(
        "--center", default=None, metavar="CODE", help="one center (default: every open center)"
    )
    parser.add_argument(
        "--window",
        type=int,
        default=DEFAULT_WINDOW_DAYS,
        metavar="DAYS",
        help=f"due-soon window in days (default {DEFAULT_WINDOW_DAYS})",
    )
    parser.add_argument("--send", action="store_true", help="e-mail each center's staff instead of printing")
    parser.add_argument(
        "--database-url", default=None, metavar="URL", help="default: DATABASE_URL or data/metrology.db"
    )
    args = parser.parse_args(argv)
    if args.window < 0:
        parser.error("--window must be 0 or more days")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)

    settings = None
    if args.send:
        try:
            settings = smtp_settings()
        except SmtpSettingsError as error:
            print(error, file=sys.stderr)
            return EXIT_SETTINGS

    from services.db import make_engine

    engine = make_engine(args.database_url)
    try:
        with Session(engine) as session:
            as_of = args.as_of or default_as_of(session, date.today())
            try:
                notices = center_notices(session, as_of=as_of, center=args.center, window_days=args.window)
            except UnknownCenterError:
                print(
                    _both("notices.cli.unknown_center", center=args.center, date=format_day(as_of)),
                    file=sys.stderr,
                )
                return EXIT_SETTINGS
    finally:
        engine.dispose()

    if settings is None:
        for notice in notices:
            print(
                f"{'#' * 100}\n{subject(notice)}\n{_both('notices.cli.to')}: "
                f"{', '.join(notice.recipients) or '—'}\n\n{text_message(notice)}"
            )
        return 0
    report = send_notices(notices, settings)
    print_report(report)
    return 0 if report.ok else EXIT_SEND_FAILED


if __name__ == "__main__":
    raise SystemExit(main())
