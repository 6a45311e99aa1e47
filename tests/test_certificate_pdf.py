"""The certificate's paper: its text read back from the PDF, its QR code decoded, and
what an organiser may not put on it (a logo that is no picture or too big, a template
naming what does not exist)."""

import io
from datetime import UTC, date, datetime

import pytest
from PIL import Image

from handlers.certificate_texts import paper
from handlers.turn import Deployment
from models import Event
from models.certificates.design import DesignError, check_body, check_logo, fill_body
from models.certificates.document import certificate_pdf
from models.certificates.store import Certificate, CertificateSettings
from tests.certificate_helpers import pdf_qr_codes, pdf_text

EVENT = Event(
    id=1, code="KUKAR2024", name="Bimtek SPP-TIK Kabupaten Kutai Kartanegara",
    organizer="Dinas Kearsipan dan Perpustakaan Kabupaten Kutai Kartanegara",
    venue="Hotel Mercure Samarinda", timezone="Asia/Makassar",
    starts_on=date(2024, 11, 13), ends_on=date(2024, 11, 16),
)  # fmt: skip
ISSUED = Certificate(
    id=7, event_id=1, person_id=3, seq=7, number="007/BIMTEK-KUKAR2024/2024", code="K7M2QX9P4T",
    holder_name="Ni Luh Putu Ayu Dévi Ṭāhir", jp=32, event_name=EVENT.name,
    starts_on=EVENT.starts_on, ends_on=EVENT.ends_on, venue=EVENT.venue,
    issued_at=datetime(2024, 11, 16, 5, tzinfo=UTC), issued_by="auto",
)  # fmt: skip


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (20, 80, 160)).save(out, "PNG")
    return out.getvalue()


async def test_the_paper_says_who_what_when_how_long_and_how_to_check_it() -> None:
    design = CertificateSettings(
        event_id=1, signatory_name="Dr. H. Ahmad Taufik, S.Sos., M.Si",
        signatory_title="Kepala Dinas", signing_place="Samarinda", logo=png(300, 120),
    )  # fmt: skip
    online = Deployment(public_base_url="https://bimtek.example.id/")
    pdf = await certificate_pdf(paper(ISSUED, EVENT, design, online))
    assert pdf.startswith(b"%PDF")
    words = " ".join(pdf_text(pdf).split())
    for expected in (
        "SERTIFIKAT",
        "Nomor: 007/BIMTEK-KUKAR2024/2024",
        "diberikan kepada",
        "Ni Luh Putu Ayu Dévi Ṭāhir",  # as registered, diacritics and all
        "peserta Bimtek SPP-TIK Kabupaten Kutai Kartanegara",
        "13–16 November 2024 di Hotel Mercure Samarinda, selama 32 jam pelajaran (JP)",
        "Samarinda, 16 November 2024",
        "Kepala Dinas",
        "Dr. H. Ahmad Taufik, S.Sos., M.Si",
        "https://bimtek.example.id/sertifikat/K7M2QX9P4T",
        "Kode verifikasi: K7M2QX9P4T",
    ):
        assert expected in words, expected
    assert pdf_qr_codes(pdf) == ["https://bimtek.example.id/sertifikat/K7M2QX9P4T"]


async def test_in_english_with_a_text_of_its_own_and_no_public_address() -> None:
    design = CertificateSettings(
        event_id=1, locale="en", title="CERTIFICATE OF ATTENDANCE",
        body="{name} attended {event} ({jp} JP), {dates}.",
    )  # fmt: skip
    pdf = await certificate_pdf(paper(ISSUED, EVENT, design, Deployment()))
    words = " ".join(pdf_text(pdf).split())
    assert "CERTIFICATE OF ATTENDANCE" in words
    assert "Number: 007/BIMTEK-KUKAR2024/2024" in words
    assert f"{ISSUED.holder_name} attended {EVENT.name} (32 JP), 13–16 November 2024." in words
    # The signatory defaults to the organiser; the date to the last day.
    assert "16 November 2024" in words
    assert "bimtek certificate verify K7M2QX9P4T" in words
    assert pdf_qr_codes(pdf) == ["K7M2QX9P4T"]


def test_the_body_names_only_what_exists() -> None:
    assert check_body("  {name} ikut {event} {jp} JP  ") == "{name} ikut {event} {jp} JP"
    assert fill_body("{name} — {{tanpa isi}}", {"name": "Siti"}) == "Siti — {tanpa isi}"
    for wrong, key in (
        ("{nama} ikut", "certificate.design.body_unknown"),
        ("{name.__class__}", "certificate.design.body_unknown"),
        ("{name!r}", "certificate.design.body_unknown"),
        ("{jp:>10}", "certificate.design.body_unknown"),
        ("{name", "certificate.design.body_braces"),
        ("x" * 1001, "certificate.design.body_long"),
    ):
        with pytest.raises(DesignError) as raised:
            check_body(wrong)
        assert raised.value.key == key, wrong


def test_a_logo_must_be_a_small_png_or_jpeg() -> None:
    assert check_logo(png(400, 200)) == "image/png"
    jpeg = io.BytesIO()
    Image.new("RGB", (50, 50)).save(jpeg, "JPEG")
    assert check_logo(jpeg.getvalue()) == "image/jpeg"
    gif = io.BytesIO()
    Image.new("P", (50, 50)).save(gif, "GIF")
    truncated = png(400, 200)[:200]
    for wrong, key in (
        (b"%PDF-1.7 not a picture", "certificate.design.logo_kind"),
        (gif.getvalue(), "certificate.design.logo_kind"),
        (truncated, "certificate.design.logo_kind"),
        (png(3001, 10), "certificate.design.logo_side"),
        (b"\x89PNG" + bytes(600 * 1024), "certificate.design.logo_large"),
    ):
        with pytest.raises(DesignError) as raised:
            check_logo(wrong)
        assert raised.value.key == key
