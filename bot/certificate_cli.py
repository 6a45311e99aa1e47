"""``bimtek certificate``: an event's certificate rule and paper, who qualifies, issuing,
revoking and verifying, as organisers do it in the chat (``/sertifikat``)."""

import asyncio
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.cli_common import Lang, cli_settings, event_or_exit, in_session, on_engine, translator
from bot.db import session_maker, upgrade
from handlers.certificate_texts import missing_text, paper, rule_text, status_text
from handlers.i18n import LOCALES, Translator, supported
from handlers.timefmt import format_date_range
from handlers.validation import InvalidInputError, phone_e164
from models import Event
from models.audit import CLI
from models.certificates.design import (
    DesignError,
    check_body,
    check_line,
    check_logo,
    check_title,
)
from models.certificates.document import certificate_pdf
from models.certificates.sources import attendance_source
from models.certificates.standing import (
    ByHand,
    Standing,
    issue_by_hand,
    issue_qualifying,
    standings,
)
from models.certificates.store import (
    MAX_REASON,
    Certificate,
    CertificateSettings,
    by_code,
    by_number,
    certificate_number,
    revoke,
    settings_for_update,
    settings_of,
)
from models.types import utcnow
from models.writer import NotWrittenError
from scheduler.certificates import deliver_pending

certificate_app = typer.Typer(
    help="Certificates: the rule, the paper, who qualifies, issuing, revoking, verifying.",
    no_args_is_help=True,
)
Code = Annotated[str, typer.Argument(help="the event's code")]


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


@certificate_app.command("rule")
def certificate_rule(
    code: Code,
    attendance: Annotated[
        int | None,
        typer.Option(help="least share of their sessions attended, in per cent (0-100)"),
    ] = None,
    evaluation: Annotated[
        bool | None, typer.Option("--evaluation/--no-evaluation", help="the evaluation answered")
    ] = None,
    post_test: Annotated[
        bool | None, typer.Option("--post-test/--no-post-test", help="the post-test answered")
    ] = None,
    jp_minutes: Annotated[
        int | None, typer.Option(help="minutes of one JP (jam pelajaran), 45 by default")
    ] = None,
    auto: Annotated[
        bool | None,
        typer.Option("--auto/--no-auto", help="issue at the event's end without being asked"),
    ] = None,
    lang: Lang = "en",
) -> None:
    """Print the rule certificates of the event with CODE follow; with options, change
    it first."""
    t = translator(lang)
    if attendance is not None and not 0 <= attendance <= 100:
        raise _fail(t("certificate.cli.attendance_range"))
    if jp_minutes is not None and not 10 <= jp_minutes <= 120:
        raise _fail(t("certificate.cli.jp_range"))

    async def go(session: AsyncSession) -> str:
        event = await event_or_exit(session, code)
        assert event.id is not None
        changes = {
            "min_attendance": attendance,
            "needs_evaluation": evaluation,
            "needs_post_test": post_test,
            "jp_minutes": jp_minutes,
            "automatic": auto,
        }
        if any(value is not None for value in changes.values()):
            fields = [name for name, value in changes.items() if value is not None]
            stored = await settings_for_update(session, event.id, actor=CLI, fields=fields)
            for name, value in changes.items():
                if value is not None:
                    setattr(stored, name, value)
        rule = (await settings_of(session, event.id)).rule()
        return f"{event.name}\n{rule_text(t, rule)}"

    typer.echo(asyncio.run(in_session(go)))


def _design_lines(t: Translator, event: Event, stored: CertificateSettings) -> list[str]:
    def shown(value: str) -> str:
        return value or t("certificate.cli.default")

    signing_date = stored.signing_date or event.ends_on
    return [
        t("certificate.cli.design_title", event=event.name),
        f"  language: {stored.locale}",
        f"  title: {shown(stored.title)}",
        f"  body: {shown(stored.body)}",
        f"  signatory: {shown(stored.signatory_name)}",
        f"  position: {stored.signatory_title or event.organizer}",
        f"  signed: {stored.signing_place or '-'}, {signing_date.isoformat()}",
        f"  logo: {len(stored.logo) // 1024 + 1} KB" if stored.logo else "  logo: -",
    ]


@certificate_app.command("settings")
def certificate_settings(
    code: Code,
    title: Annotated[str | None, typer.Option(help='the heading, e.g. "SERTIFIKAT"')] = None,
    body: Annotated[
        str | None,
        typer.Option(
            help="the text under the name, with {name} {event} {organizer} {dates} {place} {jp}"
        ),
    ] = None,
    signatory_name: Annotated[str | None, typer.Option(help="who signs")] = None,
    signatory_title: Annotated[str | None, typer.Option(help="their position")] = None,
    signing_place: Annotated[
        str | None, typer.Option(help='where it is signed: "Samarinda"')
    ] = None,
    signing_date: Annotated[
        str | None, typer.Option(help="when it is signed, YYYY-MM-DD (default: the last day)")
    ] = None,
    language: Annotated[str | None, typer.Option(help="the paper's language: id or en")] = None,
    logo: Annotated[
        Path | None,
        typer.Option(help="the institution's logo, PNG or JPEG", exists=True, dir_okay=False),
    ] = None,
    no_logo: Annotated[bool, typer.Option("--no-logo", help="remove the logo")] = False,
    preview: Annotated[
        Path | None, typer.Option(help="write a sample certificate to this PDF file")
    ] = None,
    lang: Lang = "en",
) -> None:
    """Print the paper's text and signatory for the event with CODE; with options, change
    them first. Empty text ("") goes back to the default."""
    t = translator(lang)
    try:
        checked_title = check_title(title) if title is not None else None
        checked_body = check_body(body) if body is not None else None
        for value, limit in ((signatory_name, 120), (signatory_title, 200), (signing_place, 100)):
            if value is not None:
                check_line(value, limit)
        logo_bytes = logo.read_bytes()[: 64 * 1024 * 1024] if logo is not None else None
        if logo_bytes is not None:
            check_logo(logo_bytes)
    except DesignError as error:
        raise _fail(t(error.key, **error.values)) from None
    if language is not None and language not in LOCALES:
        raise _fail(t("certificate.cli.language", known=", ".join(LOCALES)))
    try:
        signed_on = date.fromisoformat(signing_date) if signing_date else None
    except ValueError:
        raise _fail(t("certificate.cli.date")) from None
    texts = {
        "title": checked_title,
        "body": checked_body,
        "signatory_name": signatory_name,
        "signatory_title": signatory_title,
        "signing_place": signing_place,
        "locale": language,
    }

    async def go(
        session: AsyncSession,
    ) -> tuple[list[str], Certificate, Event, CertificateSettings]:
        event = await event_or_exit(session, code)
        assert event.id is not None
        changing = (
            any(v is not None for v in texts.values()) or signing_date is not None
            or logo_bytes is not None or no_logo
        )  # fmt: skip
        if changing:
            fields = [name for name, value in texts.items() if value is not None]
            fields += ["signing_date"] * (signing_date is not None)
            fields += ["logo"] * (logo_bytes is not None or no_logo)
            stored = await settings_for_update(session, event.id, actor=CLI, fields=fields)
            for name, value in texts.items():
                if value is not None:
                    setattr(stored, name, " ".join(value.split()) if name != "body" else value)
            if signing_date is not None:
                stored.signing_date = signed_on
            if logo_bytes is not None:
                stored.logo = logo_bytes
            if no_logo:
                stored.logo = None
        current = await settings_of(session, event.id)
        sample = Certificate(
            event_id=event.id, seq=1, number=certificate_number(1, event),
            code="0123456789", jp=32,
            holder_name=Translator(supported(current.locale))("certificate.cli.sample_name"),
            event_name=event.name, starts_on=event.starts_on, ends_on=event.ends_on,
            venue=event.venue, issued_at=utcnow(), issued_by="cli",
        )  # fmt: skip
        return _design_lines(t, event, current), sample, event, current

    lines, sample, event, current = asyncio.run(in_session(go))
    typer.echo("\n".join(lines))
    if preview is not None:
        text = paper(sample, event, current, cli_settings().deployment())
        try:
            preview.write_bytes(asyncio.run(certificate_pdf(text)))
        except NotWrittenError as error:
            raise _fail(f"the certificate was not drawn: {error}") from None
        typer.echo(t("certificate.cli.preview", path=preview))


def _line(t: Translator, rule_text_of: dict[int, str], s: Standing) -> str:
    p = s.participant
    who = f"{p.full_name} ({p.class_name})" if p.class_name else p.full_name
    facts = s.verdict.facts
    attended = f"{facts.present}/{len(facts.expected)}"
    if s.certificate is not None:
        state = f"{s.certificate.number} {status_text(t, s.certificate)}"
    elif s.verdict.qualifies:
        state = t("certificate.cli.qualifies")
    else:
        state = rule_text_of[p.person_id]
    return f"{who}\t{p.phone or '-'}\t{attended}\t{s.jp} JP\t{state}"


@certificate_app.command("list")
def certificate_list(code: Code, lang: Lang = "en") -> None:
    """Every participant of the event with CODE: attended of expected sessions, JP, and
    their certificate, or that they qualify, or what they lack."""
    t = translator(lang)

    async def go(session: AsyncSession) -> list[str]:
        event = await event_or_exit(session, code)
        assert event.id is not None
        rule = (await settings_of(session, event.id)).rule()
        found = await standings(session, attendance_source(), event)
        lacking = {
            s.participant.person_id: missing_text(t, rule, s.verdict, short=True) for s in found
        }
        lines = [event.name, rule_text(t, rule), ""]
        lines += [_line(t, lacking, s) for s in found] or [t("certificate.cli.nobody")]
        return lines

    typer.echo("\n".join(asyncio.run(in_session(go))))


@certificate_app.command("issue")
def certificate_issue(
    code: Code,
    everyone: Annotated[
        bool, typer.Option("--all", help="everyone who qualifies and has none yet")
    ] = False,
    phone: Annotated[str | None, typer.Option(help="one participant, by mobile number")] = None,
    reason: Annotated[
        str | None, typer.Option(help="why, for someone the rule does not qualify (kept)")
    ] = None,
    lang: Lang = "en",
) -> None:
    """Issue certificates of the event with CODE: to everyone who qualifies (--all), or to
    one participant (--phone; someone who does not qualify needs --reason). Their PDFs go
    to the outbox at once, for the bot to send."""
    t = translator(lang)
    if everyone == (phone is not None):
        raise _fail(t("certificate.cli.all_or_phone"))
    number = None
    if phone is not None:
        try:
            number = phone_e164(phone)
        except InvalidInputError:
            raise _fail(t("certificate.cli.phone", phone=phone)) from None
    why = " ".join(reason.split()) if reason else None
    if why is not None and len(why) > MAX_REASON:
        raise _fail(t("certificate.cli.reason_long", limit=MAX_REASON))

    async def record(session: AsyncSession) -> tuple[Event, list[Certificate]]:
        event = await event_or_exit(session, code)
        now = utcnow()
        if everyone:
            return event, await issue_qualifying(session, attendance_source(), event, now, "cli")
        found = [
            s for s in await standings(session, attendance_source(), event)
            if s.participant.phone == number
        ]  # fmt: skip
        if not found:
            raise _fail(t("certificate.cli.no_participant", phone=phone))
        standing = found[0]
        done = await issue_by_hand(
            session, attendance_source(), event, standing.participant.person_id, why, now,
            issued_by="cli",
        )  # fmt: skip
        if done.outcome is ByHand.HAS_ONE and done.certificate is not None:
            raise _fail(t("certificate.cli.has_one", number=done.certificate.number), 1)
        if done.outcome is ByHand.NEEDS_REASON:
            rule = (await settings_of(session, event.id or 0)).rule()
            lacking = missing_text(t, rule, standing.verdict, short=True)
            raise _fail(t("certificate.cli.needs_reason", missing=lacking))
        return event, [done.certificate] if done.certificate is not None else []

    async def go(engine: AsyncEngine) -> tuple[list[Certificate], int]:
        await upgrade(engine)
        sessions = session_maker(engine)
        async with sessions.begin() as session:
            event, issued = await record(session)
        sent = await deliver_pending(
            sessions, utcnow(), cli_settings().deployment(), event.id, limit=10_000
        )
        return issued, sent

    issued, sent = asyncio.run(on_engine(go))
    if not issued:
        typer.echo(t("certificate.nothing_to_issue"))
        return
    for certificate in issued:
        typer.echo(f"{certificate.number}\t{certificate.code}\t{certificate.holder_name}")
    typer.echo(t("certificate.cli.issued", count=len(issued), sent=sent))


@certificate_app.command("revoke")
def certificate_revoke(
    code: Code,
    number: Annotated[str, typer.Argument(help='the certificate\'s number ("001/..." or 1)')],
    reason: Annotated[str, typer.Option(help="why (kept; the holder is told it when they ask)")],
    lang: Lang = "en",
) -> None:
    """Revoke a certificate of the event with CODE: it then verifies as revoked. Exit code
    1 when it was revoked already."""
    t = translator(lang)
    why = " ".join(reason.split())
    if len(why) < 5 or len(why) > MAX_REASON:
        raise _fail(t("certificate.cli.reason_length", limit=MAX_REASON))

    async def go(session: AsyncSession) -> tuple[Certificate | None, bool]:
        event = await event_or_exit(session, code)
        assert event.id is not None
        found = await by_number(session, event.id, number)
        if found is None:
            return None, False
        return found, revoke(session, found, why, utcnow(), by="cli")

    found, done = asyncio.run(in_session(go))
    if found is None:
        raise _fail(t("certificate.revoking.unknown", typed=number))
    if not done:
        raise _fail(t("certificate.revoking.already", number=found.number), 1)
    typer.echo(t("certificate.revoking.done", number=found.number))


@certificate_app.command("verify")
def certificate_verify(
    code: Annotated[str, typer.Argument(help="the verification code on the certificate")],
    lang: Lang = "en",
) -> None:
    """Print the certificate a verification code belongs to: holder, event, dates, JP,
    number and whether it is valid or revoked. Exit code 1 when there is none."""
    t = translator(lang)
    found = asyncio.run(in_session(lambda session: by_code(session, code)))
    if found is None:
        raise _fail(t("certificate.web.not_found"), 1)
    dates = format_date_range(found.starts_on, found.ends_on, t.locale)
    lines = [
        f"{t('certificate.web.holder')}: {found.holder_name or '-'}",
        f"{t('certificate.web.event')}: {found.event_name}",
        f"{t('certificate.web.dates')}: {dates}",
        f"{t('certificate.web.jp')}: {found.jp}",
        f"{t('certificate.web.number')}: {found.number}",
        f"{t('certificate.web.status')}: {status_text(t, found)}",
    ]
    typer.echo("\n".join(lines))
