"""``bimtek certificate``: the rule and the paper set, who qualifies listed, certificates
issued (their PDFs queued for the bot to send), revoked and verified; on SQLite and
PostgreSQL. Attendance is given as explicit sets, where check-in will record it."""

import asyncio
import io
from pathlib import Path

import pytest
from PIL import Image
from sqlmodel import col, select
from typer.testing import CliRunner

from bot.cli import app
from bot.db import SessionMaker
from bot.demo import ensure_demo_event
from models import Certificate, Event, OutboxFile, OutboxMessage
from models.certificates import sources
from tests.certificate_helpers import (
    GivenAttendance,
    agenda_ids,
    answered,
    participant,
    pdf_qr_codes,
    pdf_text,
)

SITI, BUDI = "+6281234500001", "+6281234500002"


async def bimtek(*args: str) -> tuple[int, str]:
    result = await asyncio.to_thread(CliRunner().invoke, app, list(args))
    return result.exit_code, result.output


@pytest.fixture
async def demo(database_url: str, sessions: SessionMaker, monkeypatch: pytest.MonkeyPatch) -> Event:
    """The demo event, Siti (class A, 9 of 10 sessions, evaluation answered) and Budi
    (class B, 3 sessions, nothing answered)."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    async with sessions.begin() as session:
        event = await ensure_demo_event(session)
    _, siti = await participant(sessions, event, "Siti Rahayu", SITI, "A")
    _, budi = await participant(sessions, event, "Budi Santoso", BUDI, "B")
    await answered(sessions, event, siti)
    a = sorted(await agenda_ids(sessions, event, "A"))
    b = sorted(await agenda_ids(sessions, event, "B"))
    given = GivenAttendance(
        attended={siti: set(a[:-1]), budi: set(b[:3])}, expected={"A": set(a), "B": set(b)}
    )
    monkeypatch.setattr(sources, "current", given)
    return event


async def stored(sessions: SessionMaker) -> list[Certificate]:
    async with sessions() as session:
        found = await session.execute(select(Certificate).order_by(col(Certificate.seq)))
        return list(found.scalars())


async def test_the_rule_is_shown_and_changed(demo: Event) -> None:
    code, output = await bimtek("certificate", "rule", "KUKAR2024")
    assert code == 0, output
    assert "attend at least 90 % of the sessions · answer the event's evaluation" in output
    assert "1 JP = 45 minutes" in output
    assert "Issued automatically" in output
    code, output = await bimtek(
        "certificate", "rule", "KUKAR2024", "--attendance", "75", "--no-evaluation",
        "--post-test", "--no-auto", "--lang", "id",
    )  # fmt: skip
    assert code == 0, output
    assert "Syarat sertifikat: hadir minimal 75 % sesi · mengisi post-test" in output
    assert "Terbit bila panitia menerbitkannya." in output
    for wrong in (["--attendance", "101"], ["--jp-minutes", "5"]):
        code, output = await bimtek("certificate", "rule", "KUKAR2024", *wrong)
        assert code == 2
    code, output = await bimtek("certificate", "rule", "KUKAR2024")
    assert "75 %" in output, "bad input changed nothing"
    assert (await bimtek("certificate", "rule", "NOPE99"))[0] == 2


async def test_the_paper_is_set_and_previewed_and_bad_logos_are_refused(
    demo: Event, tmp_path: Path
) -> None:
    logo = tmp_path / "logo.png"
    picture = io.BytesIO()
    Image.new("RGB", (240, 120), (0, 90, 60)).save(picture, "PNG")
    logo.write_bytes(picture.getvalue())
    preview = tmp_path / "contoh.pdf"
    code, output = await bimtek(
        "certificate", "settings", "KUKAR2024", "--signatory-name", "Dr. Hj. Sri Wahyuni, M.Si",
        "--signatory-title", "Kepala Dinas Kearsipan dan Perpustakaan", "--signing-place",
        "Tenggarong", "--logo", str(logo), "--preview", str(preview),
    )  # fmt: skip
    assert code == 0, output
    assert "signatory: Dr. Hj. Sri Wahyuni, M.Si" in output
    assert "logo: 1 KB" in output
    words = " ".join(pdf_text(preview.read_bytes()).split())
    assert "Participant Name" not in words  # the paper speaks the event's language
    assert "Nama Peserta" in words
    assert "Tenggarong, 16 November 2024" in words
    assert "bimtek certificate verify 0123456789" in words

    not_a_picture = tmp_path / "logo.png.exe"
    not_a_picture.write_bytes(b"MZ\x90\x00 not a picture")
    code, output = await bimtek(
        "certificate", "settings", "KUKAR2024", "--logo", str(not_a_picture),
        "--signatory-name", "Orang Lain",
    )  # fmt: skip
    assert code == 2
    assert "The logo must be a PNG or JPEG picture." in output
    code, output = await bimtek("certificate", "settings", "KUKAR2024", "--body", "{nama}")
    assert code == 2
    assert "uses {nama}, which is unknown" in output
    code, output = await bimtek("certificate", "settings", "KUKAR2024")
    assert "signatory: Dr. Hj. Sri Wahyuni, M.Si" in output, "nothing changed"


async def test_list_issue_revoke_verify(demo: Event, sessions: SessionMaker) -> None:
    code, output = await bimtek("certificate", "list", "KUKAR2024")
    assert code == 0, output
    # The demo agenda, breaks left out, by hand: 465 + 435 + 375 + 225 = 1,500 minutes
    # for either class; 1,500 / 45 = 33.3: 33 JP.
    assert "Siti Rahayu (A)\t+6281234500001\t15/16\t33 JP\tqualifies" in output
    assert (
        "Budi Santoso (B)\t+6281234500002\t3/16\t33 JP\tattended 3/16 sessions; no evaluation"
        in output
    )

    code, output = await bimtek("certificate", "issue", "KUKAR2024", "--all")
    assert code == 0, output
    assert "001/BIMTEK-KUKAR2024/2024" in output
    assert "1 certificates issued; 1 PDFs queued" in output
    [siti] = await stored(sessions)
    assert (siti.holder_name, siti.jp, siti.manual_reason) == ("Siti Rahayu", 33, None)
    assert siti.pdf is not None
    assert "Siti Rahayu" in pdf_text(siti.pdf)
    assert pdf_qr_codes(siti.pdf) == [siti.code]
    async with sessions() as session:
        [message] = (await session.execute(select(OutboxMessage))).scalars().all()
        file = await session.get(OutboxFile, message.file_id)
    assert (message.kind, message.key) == ("certificate", f"certificate:{siti.id}")
    assert file is not None
    assert file.content == siti.pdf
    assert file.filename == "sertifikat-001.pdf"
    assert "Kode verifikasi: " + siti.code in message.body["text"]

    # Twice: nothing more, nothing sent twice.
    code, output = await bimtek("certificate", "issue", "KUKAR2024", "--all")
    assert (code, output.strip()) == (
        0,
        "There is no certificate to issue: everyone who qualifies has one.",
    )
    code, output = await bimtek("certificate", "issue", "KUKAR2024", "--phone", "0812-3450-0001")
    assert code == 1
    assert "holds certificate No. 001/BIMTEK-KUKAR2024/2024 already" in output
    # Budi does not qualify: only with a reason, which is kept.
    code, output = await bimtek("certificate", "issue", "KUKAR2024", "--phone", BUDI)
    assert code == 2
    assert (
        "does not qualify (attended 3/16 sessions; no evaluation); issuing needs --reason" in output
    )
    code, output = await bimtek(
        "certificate", "issue", "KUKAR2024", "--phone", BUDI,
        "--reason", "Sakit, surat dokter ada; hadir daring",
    )  # fmt: skip
    assert code == 0, output
    assert "002/BIMTEK-KUKAR2024/2024" in output
    for wrong in (["--phone", "0812"], ["--phone", "+6281299999999"], []):
        assert (await bimtek("certificate", "issue", "KUKAR2024", *wrong))[0] == 2
    certificates = await stored(sessions)
    assert [c.number for c in certificates] == [
        "001/BIMTEK-KUKAR2024/2024", "002/BIMTEK-KUKAR2024/2024",
    ]  # fmt: skip
    assert certificates[1].manual_reason == "Sakit, surat dokter ada; hadir daring"
    async with sessions() as session:
        assert len((await session.execute(select(OutboxMessage))).scalars().all()) == 2

    code, output = await bimtek("certificate", "verify", siti.code.lower())
    assert code == 0, output
    assert output.splitlines() == [
        "Name: Siti Rahayu",
        "Event: Bimtek SPP-TIK Kabupaten Kutai Kartanegara",
        "Dates: 13–16 November 2024",
        "Lesson hours (JP): 33",
        "Number: 001/BIMTEK-KUKAR2024/2024",
        "Status: VALID",
    ]
    code, output = await bimtek("certificate", "revoke", "KUKAR2024", "1", "--reason", "Data ganda")
    assert code == 0, output
    assert "Certificate No. 001/BIMTEK-KUKAR2024/2024 revoked" in output
    code, output = await bimtek("certificate", "verify", siti.code, "--lang", "id")
    assert "Status: DICABUT" in output
    code, output = await bimtek(
        "certificate", "revoke", "KUKAR2024", "001/BIMTEK-KUKAR2024/2024", "--reason", "Lagi-lagi"
    )
    assert code == 1
    assert "was revoked already" in output
    [first, _] = await stored(sessions)
    assert first.revoked_reason == "Data ganda", "the first reason stays"
    assert (await bimtek("certificate", "revoke", "KUKAR2024", "9", "--reason", "Tidak ada"))[
        0
    ] == 2
    assert (await bimtek("certificate", "revoke", "KUKAR2024", "2", "--reason", "x"))[0] == 2
    code, output = await bimtek("certificate", "verify", "ZZZZZZZZZZ")
    assert code == 1
    assert output.startswith("There is no certificate with this code.")
    assert (await bimtek("certificate", "verify", "../../etc/passwd"))[0] == 1
