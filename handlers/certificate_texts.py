"""Certificates in words: the rule, why someone does not qualify yet, a certificate's
status, and the paper's text in the certificate's language. Shared by the chat, the
command line and the job that sends the papers."""

from handlers.i18n import Translator, supported
from handlers.timefmt import format_date_range
from handlers.turn import Deployment
from models import Event
from models.certificates.design import fill_body
from models.certificates.document import Paper
from models.certificates.rule import Part, Rule, Verdict, attendance_met
from models.certificates.store import Certificate, CertificateSettings


def rule_text(t: Translator, rule: Rule) -> str:
    """ "Syarat: hadir ≥ 90 % sesi · evaluasi kegiatan diisi · 1 JP = 45 menit ..." """
    parts = [t("certificate.rule.attendance", percent=rule.min_attendance)]
    if rule.evaluation:
        parts.append(t("certificate.rule.evaluation"))
    if rule.post_test:
        parts.append(t("certificate.rule.post_test"))
    lines = [t("certificate.rule.heading", parts=" · ".join(parts))]
    lines.append(t("certificate.rule.jp", minutes=rule.jp_minutes))
    lines.append(t("certificate.rule.automatic" if rule.automatic else "certificate.rule.manual"))
    return "\n".join(lines)


def attendance_text(t: Translator, rule: Rule, verdict: Verdict) -> str:
    facts = verdict.facts
    expected = len(facts.expected)
    percent = facts.present * 100 // expected if expected else 0
    key = "met" if attendance_met(rule, facts) else "short"
    return t(
        f"certificate.attendance.{key}",
        present=facts.present,
        expected=expected,
        percent=percent,
        needed=rule.min_attendance,
    )


def missing_text(t: Translator, rule: Rule, verdict: Verdict, *, short: bool = False) -> str:
    """What ``verdict`` lacks, in plain words (``short``: for one line of a list)."""
    said = []
    for part in verdict.missing:
        if part is Part.ATTENDANCE:
            facts = verdict.facts
            said.append(
                t("certificate.missing.attendance_short", present=facts.present,
                  expected=len(facts.expected))
                if short
                else attendance_text(t, rule, verdict)
            )  # fmt: skip
        else:
            said.append(t(f"certificate.missing.{part.value}{'_short' if short else ''}"))
    return ("; " if short else "\n").join(said)


def progress_text(t: Translator, rule: Rule, verdict: Verdict) -> str:
    """Each part of the rule, met or not, for the participant."""
    facts = verdict.facts
    lines = [attendance_text(t, rule, verdict)]
    if rule.evaluation:
        lines.append(t(f"certificate.progress.evaluation_{'done' if facts.evaluation else 'todo'}"))
    if rule.post_test:
        lines.append(t(f"certificate.progress.post_test_{'done' if facts.post_test else 'todo'}"))
    return "\n".join(lines)


def status_text(t: Translator, certificate: Certificate) -> str:
    if certificate.revoked:
        return t("certificate.status.revoked")
    return t("certificate.status.valid")


def paper(
    certificate: Certificate,
    event: Event,
    settings: CertificateSettings,
    deployment: Deployment,
) -> Paper:
    """The certificate's text, in the event's certificate language."""
    t = Translator(supported(settings.locale))
    locale = t.locale
    dates = format_date_range(certificate.starts_on, certificate.ends_on, locale)
    body = fill_body(
        settings.body or t("certificate.pdf.body"),
        {
            "name": certificate.holder_name,
            "event": certificate.event_name,
            "organizer": event.organizer,
            "dates": dates,
            "place": certificate.venue,
            "jp": str(certificate.jp),
        },
    )
    signed_on = format_date_range(
        settings.signing_date or certificate.ends_on,
        settings.signing_date or certificate.ends_on,
        locale,
    )
    place = settings.signing_place.strip()
    link = deployment.certificate_link(certificate.code)
    code = certificate.code
    verify: tuple[str, ...]
    if link is not None:
        verify = (t("certificate.pdf.verify_at"), link, t("certificate.pdf.code", code=code))
    else:
        verify = (t("certificate.pdf.verify_cli"), f"bimtek certificate verify {code}")
    return Paper(
        title=settings.title or t("certificate.pdf.title"),
        number_line=t("certificate.pdf.number", number=certificate.number),
        given_to=t("certificate.pdf.given_to"),
        name=certificate.holder_name,
        body=body,
        signing_line=t("certificate.pdf.signed", place=place, date=signed_on)
        if place
        else signed_on,
        signatory_title=settings.signatory_title or event.organizer,
        signatory_name=settings.signatory_name,
        qr_payload=link or code,
        verify_lines=verify,
        logo=settings.logo,
    )
