"""Files in and out through the channels: documents a person sends reach the engine as FILE
messages; a reply's attachment reaches the person as a document (Telegram) or a saved file
(console). The unit under test is the channel, so the engine here only records and answers.
What each kind of update becomes is checked by the channel contract (test_channel_contract.py);
here, what takes HTTP: downloads, their limits and failures, uploads."""

import asyncio
import contextlib
import io
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.channels.console import ConsoleChannel, ConsoleSender
from bot.channels.rendering import FILE_NAME_LIMIT, safe_filename
from bot.channels.telegram import FILE_DOWNLOAD_LIMIT, TelegramChannel, create_bot
from bot.db import SessionMaker, session_maker
from bot.delivery.sending import Outcome
from bot.engine import Engine
from bot.logging import configure_logging
from handlers.turn import Turn
from handlers.types import Attachment, Choice, Inbound, InboundKind, Reply
from models import Event
from tests.drivers import ConsoleDriver, Shown, TelegramDriver
from tests.fakes.telegram_api import DOWNLOAD, FakeTelegramServer, Fault, Upload

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
AGENDA = b"PK\x03\x04 not really a spreadsheet, but bytes all the same \x00\xff"
ICS = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Bimtek Bot//id\r\nBEGIN:VEVENT\r\n"
    b"SUMMARY:Bimtek SPP-TIK Kabupaten Kutai Kartanegara\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)
CALENDAR = Attachment("bimtek-KUKAR2024.ics", "text/calendar", ICS, len(ICS))


class Recorder:
    """Stands in for the conversation: keeps what the channel hands over, answers
    ``replies``. The engine around it, the outbox and the dispatcher are the real ones."""

    def __init__(self) -> None:
        self.inbound: list[Inbound] = []
        self.replies: list[Reply] = [Reply("Diterima.")]
        self.channel: TelegramChannel | None = None

    async def handle(self, turn: Turn) -> None:
        self.inbound.append(turn.inbound)
        turn.replies.extend(self.replies)

    @property
    def last(self) -> Inbound:
        return self.inbound[-1]


@pytest.fixture
async def recorder(
    telegram_server: FakeTelegramServer, sessions: SessionMaker
) -> AsyncIterator[Recorder]:
    """A Telegram channel, long-polling the fake API, in front of a recording engine."""
    recorder = Recorder()
    bot = create_bot(telegram_server.token, telegram_server.base_url)
    recorder.channel = TelegramChannel(bot, Engine(sessions, handler=recorder.handle), 1)
    polling = asyncio.create_task(recorder.channel.poll())
    yield recorder
    polling.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await polling
    await bot.session.close()


@pytest.fixture
def person(telegram_server: FakeTelegramServer, recorder: Recorder) -> TelegramDriver:
    # Never started: it only sends updates and reads what came back; the channel that
    # answers is the recorder's.
    driver = TelegramDriver(telegram_server, database_url="sqlite+aiosqlite://")
    assert recorder.channel is not None
    driver.channel_impl = recorder.channel
    return driver


@pytest.fixture
def debug_logs() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging("DEBUG", "json", stream)
    yield stream
    configure_logging("INFO", "console")


def document(file_id: str, **fields: Any) -> dict[str, Any]:
    return {"file_id": file_id, "file_unique_id": f"u{file_id[-6:]}", **fields}


# Telegram, inbound -------------------------------------------------------------------


async def test_a_document_reaches_the_engine_with_its_bytes(
    recorder: Recorder, person: TelegramDriver, telegram_server: FakeTelegramServer
) -> None:
    shown = await person.send_file(
        "Agenda Bimtek KUKAR 2024.xlsx", AGENDA, caption="Agenda final, mohon dicek"
    )

    inbound = recorder.last
    assert inbound.kind == InboundKind.FILE
    assert inbound.text == "Agenda final, mohon dicek"
    assert inbound.attachment == Attachment(
        "Agenda Bimtek KUKAR 2024.xlsx", XLSX, AGENDA, len(AGENDA)
    )
    assert inbound.message_key == "1:1"  # update, message: no user id (it outlives erasure)
    assert shown == [Shown("Diterima.")]


async def test_a_document_name_cannot_point_into_folders(
    recorder: Recorder, person: TelegramDriver
) -> None:
    await person.send_file("../../etc/jadwal.csv", b"a,b\n")
    attachment = recorder.last.attachment
    assert attachment is not None
    assert attachment.filename == "jadwal.csv"


async def test_a_file_over_the_limit_arrives_without_content(
    recorder: Recorder, person: TelegramDriver, telegram_server: FakeTelegramServer
) -> None:
    size = FILE_DOWNLOAD_LIMIT + 1
    shown = await person.send_file("rekaman-pembukaan.xlsx", b"", size=size)

    assert recorder.last.kind == InboundKind.FILE
    assert recorder.last.attachment == Attachment("rekaman-pembukaan.xlsx", XLSX, None, size)
    assert not [c for c in telegram_server.calls if c.method in ("getFile", DOWNLOAD)]
    assert shown == [Shown("Diterima.")]


async def test_a_file_of_unknown_size_that_telegram_will_not_serve_arrives_without_content(
    recorder: Recorder, person: TelegramDriver, telegram_server: FakeTelegramServer
) -> None:
    file_id = telegram_server.add_file(b"", "arsip.xlsx", size=25 * 1024 * 1024)
    await person.deliver(
        {"message": person._message(document=document(file_id, file_name="arsip.xlsx"))}
    )
    assert recorder.last.attachment == Attachment("arsip.xlsx", XLSX, None, 0)
    assert telegram_server.downloads() == []


async def test_a_failed_download_still_reaches_the_engine_and_is_answered(
    recorder: Recorder,
    person: TelegramDriver,
    telegram_server: FakeTelegramServer,
    debug_logs: io.StringIO,
) -> None:
    telegram_server.fail_next(DOWNLOAD, Fault(502, "Bad Gateway"))
    shown = await person.send_file("Agenda Bimtek KUKAR 2024.xlsx", AGENDA)

    assert recorder.last.attachment == Attachment(
        "Agenda Bimtek KUKAR 2024.xlsx", XLSX, None, len(AGENDA)
    )
    assert shown == [Shown("Diterima.")]
    assert [c.ok for c in telegram_server.downloads()] == [False]
    logs = debug_logs.getvalue()
    assert '"event": "telegram_file_download_failed"' in logs
    assert "Agenda" not in logs


async def test_a_gif_is_not_taken_for_a_document(
    recorder: Recorder, person: TelegramDriver, telegram_server: FakeTelegramServer
) -> None:
    file_id = telegram_server.add_file(b"GIF89a", "tepuk-tangan.mp4")
    gif = document(file_id, file_name="tepuk-tangan.mp4", mime_type="video/mp4")
    animation = {**gif, "width": 320, "height": 240, "duration": 3}
    await person.deliver({"message": person._message(animation=animation, document=gif)})
    assert recorder.last.kind == InboundKind.UNSUPPORTED
    assert telegram_server.downloads() == []


# Telegram, outbound ------------------------------------------------------------------


async def test_a_reply_with_a_file_sends_the_document_then_the_text(
    recorder: Recorder, person: TelegramDriver, telegram_server: FakeTelegramServer
) -> None:
    recorder.replies = [Reply("Simpan jadwal ini di kalender Anda.", attachment=CALENDAR)]
    shown = await person.send("/jadwal")

    sent = telegram_server.outbox(person.user_id)
    assert [c.method for c in sent] == ["sendDocument", "sendMessage"]
    assert sent[0].params["document"].filename == "bimtek-KUKAR2024.ics"
    assert sent[0].params["document"].content == ICS
    assert not sent[0].params.get("reply_markup")
    assert shown == [
        Shown("Simpan jadwal ini di kalender Anda.", document=(CALENDAR.filename, ICS))
    ]


async def test_a_file_without_text_carries_the_buttons(
    recorder: Recorder, person: TelegramDriver, telegram_server: FakeTelegramServer
) -> None:
    choices = (Choice("cal:again", "Kirim lagi"),)
    recorder.replies = [Reply("", choices=choices, attachment=CALENDAR)]
    shown = await person.send("/jadwal")

    assert [c.method for c in telegram_server.outbox(person.user_id)] == ["sendDocument"]
    assert shown == [Shown("", ("Kirim lagi",), document=(CALENDAR.filename, ICS))]


async def test_a_sent_file_name_is_made_safe(
    recorder: Recorder, person: TelegramDriver, telegram_server: FakeTelegramServer
) -> None:
    unsafe = Attachment('../Jadwal "Bimtek"\n2024.ics', "text/calendar", ICS, len(ICS))
    recorder.replies = [Reply("Jadwal.", attachment=unsafe)]
    await person.send("/jadwal")
    upload: Upload = telegram_server.documents(person.user_id)[0].params["document"]
    assert upload.filename == "Jadwal _Bimtek__2024.ics"
    assert upload.content == ICS


async def test_a_sent_file_keeps_a_name_beyond_ascii(
    recorder: Recorder, person: TelegramDriver, telegram_server: FakeTelegramServer
) -> None:
    name = "Jadwal Tenggarong — Kaltim.ics"
    recorder.replies = [Reply("Jadwal.", attachment=Attachment(name, "text/calendar", ICS, 1))]
    shown = await person.send("/jadwal")
    assert shown == [Shown("Jadwal.", document=(name, ICS))]


async def test_rate_limits_on_documents_are_waited_out(
    recorder: Recorder, person: TelegramDriver, telegram_server: FakeTelegramServer
) -> None:
    telegram_server.fail_next(
        "sendDocument", Fault(429, "Too Many Requests: retry after 1", retry_after=1)
    )
    recorder.replies = [Reply("Jadwal.", attachment=CALENDAR)]
    shown = await person.send("/jadwal")

    attempts = [c for c in telegram_server.calls if c.method == "sendDocument"]
    assert [c.ok for c in attempts] == [False, True]
    assert shown == [Shown("Jadwal.", document=(CALENDAR.filename, ICS))]


async def test_the_real_engine_answers_a_document(
    database_url: str, demo_event: Event, telegram_server: FakeTelegramServer
) -> None:
    """Whatever the conversation makes of a file, the update is handled and answered."""
    person = await TelegramDriver(telegram_server, database_url).start()
    try:
        await person.send("/start")
        shown = await person.send_file("Agenda Bimtek KUKAR 2024.xlsx", AGENDA)
    finally:
        await person.close()
    assert shown


# Console -----------------------------------------------------------------------------


async def printed(files_dir: Path, *replies: Reply) -> tuple[list[str], str]:
    """What the console's sender prints for ``replies``: its blocks and the whole output."""
    output = io.StringIO()
    sender = ConsoleSender(output, files_dir)
    for reply in replies:
        result = await sender.send("console", reply, skip=0, pace=no_pace)
        assert result.outcome is Outcome.SENT
    return sender.printed, output.getvalue()


async def no_pace() -> None:
    """The console keeps to no rate."""


async def test_the_console_saves_a_file_and_says_where(tmp_path: Path) -> None:
    reply = Reply("Simpan jadwal ini di kalender Anda.", attachment=CALENDAR)

    _, output = await printed(tmp_path / "unduhan", reply)

    saved = (tmp_path / "unduhan" / "bimtek-KUKAR2024.ics").resolve()
    assert saved.read_bytes() == ICS
    assert f"📎 bimtek-KUKAR2024.ics → {saved}\nSimpan jadwal ini di kalender Anda." in output


async def test_the_console_never_overwrites_a_file(tmp_path: Path) -> None:
    (tmp_path / "bimtek-KUKAR2024.ics").write_bytes(b"mine")
    reply = Reply("Jadwal.", attachment=CALENDAR)

    _, output = await printed(tmp_path, reply, reply)

    assert (tmp_path / "bimtek-KUKAR2024.ics").read_bytes() == b"mine"
    assert (tmp_path / "bimtek-KUKAR2024-2.ics").read_bytes() == ICS
    assert (tmp_path / "bimtek-KUKAR2024-3.ics").read_bytes() == ICS
    assert f"→ {(tmp_path / 'bimtek-KUKAR2024-3.ics').resolve()}" in output


async def test_the_console_keeps_files_in_its_folder(tmp_path: Path) -> None:
    sneaky = Attachment("../../jadwal.ics", "text/calendar", ICS, len(ICS))

    await printed(tmp_path / "unduhan", Reply("Jadwal.", attachment=sneaky))

    assert names(tmp_path / "unduhan") == ["jadwal.ics"]
    assert names(tmp_path) == ["unduhan"]


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


async def test_the_console_still_shows_the_text_when_a_file_cannot_be_saved(
    tmp_path: Path,
) -> None:
    (tmp_path / "not-a-folder").write_text("")

    shown, _ = await printed(tmp_path / "not-a-folder", Reply("Jadwal.", attachment=CALENDAR))

    assert shown == ["📎 bimtek-KUKAR2024.ics ✗\nJadwal."]


async def test_the_console_driver_reads_back_the_saved_file(database_url: str) -> None:
    """The whole way: the engine's outbox row, the dispatcher, the console's sender."""
    person = ConsoleDriver(database_url)
    try:
        recorder = Recorder()
        recorder.replies = [
            Reply("Jadwal.", choices=(Choice("cal:again", "Kirim lagi"),), attachment=CALENDAR)
        ]
        engine = Engine(session_maker(person.db), handler=recorder.handle)
        person.console = ConsoleChannel(engine, "console", io.StringIO(), person.files_dir)
        shown = await person.send("/jadwal")
        assert shown == [Shown("Jadwal.", ("Kirim lagi",), document=(CALENDAR.filename, ICS))]
        with pytest.raises(NotImplementedError):
            await person.send_file("jadwal.csv", b"a,b\n")
    finally:
        await person.close()
    assert not person.files_dir.exists()


# File names --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "safe"),
    [
        ("bimtek-KUKAR2024.ics", "bimtek-KUKAR2024.ics"),
        ("Agenda Bimtek KUKAR 2024.xlsx", "Agenda Bimtek KUKAR 2024.xlsx"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\panitia\\jadwal.csv", "jadwal.csv"),
        ("Agenda: Hari 1?.xlsx", "Agenda_ Hari 1_.xlsx"),
        (".env", "env"),
        ("..", "file"),
        ("", "file"),
        ("con.csv", "_con.csv"),
        ("Jadwal Tenggarong — Kaltim.ics", "Jadwal Tenggarong — Kaltim.ics"),
    ],
)
def test_safe_file_names(given: str, safe: str) -> None:
    assert safe_filename(given) == safe


def test_long_file_names_keep_their_extension() -> None:
    name = safe_filename("é" * 300 + ".xlsx")
    assert name.endswith("é.xlsx")
    assert len(name.encode()) <= FILE_NAME_LIMIT
