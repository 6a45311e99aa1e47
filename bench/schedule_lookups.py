"""Schedule look-ups: many enrolled participants asking for the agenda at once, through the
real Telegram channel, next to a bare aiogram echo bot.

An event (Asia/Makassar, four days) with an agenda split in part into classes A and B and
thousands of registered participants is stored directly in the database; the engine's
clock stands at Thursday 14 November 2024, 10.00 WITA, the second day. Simulated people
then send /jadwal, /sekarang, /besok and /agenda and press a session's detail button,
each waiting for the answer before the next. Each bot runs in a process of its own
(bench/bot_process.py), so that the CPU time and memory measured for it are its own; the
fake Bot API and the simulated people run here. Run from the project root:

    python -m bench.schedule_lookups --participants 2000 --sessions 40 --lookups 4000
"""

import argparse
import asyncio
import contextlib
import itertools
import random
import tempfile
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any
from zoneinfo import ZoneInfo

from bench.bot_process import (
    BIMTEK,
    ECHO,
    BenchmarkError,
    Cost,
    Row,
    beyond_the_echo,
    bot_process,
    cost_rows,
    measure,
    print_rows,
)
from bench.registration_throughput import (
    POLL_TIMEOUT,
    STEP_WITHIN,
    Params,
    Result,
    WatchedServer,
    callback_update,
    message_update,
)
from bot.channels.telegram_send import CHANNEL
from bot.db import SessionMaker, create_engine, session_maker
from bot.logging import configure_logging
from handlers.features.schedule import SESSION, SESSION_BUTTONS
from handlers.i18n import LOCALES, Translator
from handlers.timefmt import format_date, format_time, zone_label
from models import AgendaSession, ChannelIdentity, Conversation, Enrollment, EventClass
from models import Person as DbPerson
from models.event import create_event
from tests.postgres import migrated, throwaway_database

# Thursday 14 November 2024, 10.00 WITA: the second of four days, a class session running.
NOW = datetime(2024, 11, 14, 2, 0, tzinfo=UTC)
# The engine's clock moves this much per message: it stays at 10.00 for 600,000 messages,
# yet each message stores a new updated_at, as it would in use.
TICK = timedelta(microseconds=100)
TIMEZONE = "Asia/Makassar"
FIRST_DAY = date(2024, 11, 13)
DAYS = 4
TODAY, TOMORROW = FIRST_DAY + timedelta(days=1), FIRST_DAY + timedelta(days=2)
CLASSES = ("A", "B")
EVENT_CODE = "BENCH24"
FIRST_USER_ID = 900001  # clear of registration_throughput's people

# What people ask for, and how often (per cent): mostly today and "what is on now".
JADWAL, SEKARANG, SESI, BESOK, AGENDA = "/jadwal", "/sekarang", "sesi", "/besok", "/agenda"
MIX = {JADWAL: 35, SEKARANG: 25, SESI: 20, BESOK: 10, AGENDA: 10}
KIND_LABELS = {SESI: "detail button"}

TOPICS = (
    "Strategi Transformasi Perpustakaan Berbasis Inklusi Sosial",
    "Advokasi untuk Keberlanjutan Perpustakaan",
    "Tata Kelola Koleksi",
    "Pengolahan Bahan Pustaka dan Katalogisasi",
    "Literasi Digital untuk Masyarakat Desa",
    "Penyusunan Program Kegiatan Perpustakaan",
    "Pemanfaatan INLISLite",
    "Layanan Referensi dan Sirkulasi",
    "Pengembangan Minat Baca Anak",
    "Praktik Penyiangan Koleksi",
    "Kemitraan dengan Pemerintah Desa",
    "Penyusunan Rencana Tindak Lanjut",
)
SPEAKERS = (
    "Taufik, S.Sos, M.Si",
    "Rachmawati, S.IP",
    "Putri Wardhani, M.Hum",
    "Drs. Bambang Sutrisno",
    "Dewi Lestari, S.Kom",
)
ROOMS = {None: "Ruang Mahakam", "A": "Ruang Kartanegara", "B": "Ruang Tenggarong"}


@dataclass(frozen=True)
class Lookup:
    """One message of one person, and what its replies must contain."""

    kind: str  # a key of MIX
    user_id: int
    text: str  # the command typed, or the callback data of the button pressed
    expect: tuple[str, ...]
    label: str = ""  # the pressed button's label


@dataclass(frozen=True)
class Person:
    user_id: int
    locale: str
    class_name: str | None


@dataclass(frozen=True)
class Offered:
    """A session as /jadwal offers it: its button's data and its title."""

    data: str
    title: str


@dataclass
class SideResult:
    """What one bot's run measured."""

    latencies: dict[str, list[float]]  # by kind
    cost: Cost
    errors: int = 0  # replies with the error.internal apology
    unexpected: int = 0  # look-ups whose replies lacked what they must contain
    example: str = ""  # the first unexpected reply, to show

    @property
    def overall(self) -> Result:
        return Result([x for kind in MIX for x in self.latencies.get(kind, [])], self.cost.seconds)


# The event ---------------------------------------------------------------------------


def local(day: date, minutes: int) -> datetime:
    moment = datetime.combine(day, clock_time(0), ZoneInfo(TIMEZONE)) + timedelta(minutes=minutes)
    return moment.astimezone(UTC)


def day_slots(quota: int) -> list[bool]:
    """A day's time slots, True for one split into the classes: plenary, split, split..."""
    slots: list[bool] = []
    pattern = itertools.cycle((False, True, True))
    while quota > 0:
        split = next(pattern) and quota >= 2
        slots.append(split)
        quota -= 2 if split else 1
    return slots


def agenda(event_id: int, total: int) -> list[AgendaSession]:
    """``total`` sessions over the four days, from 08.00; two of every three slots are
    given once per class."""
    rows: list[AgendaSession] = []
    topics = itertools.cycle(TOPICS)
    speakers = itertools.cycle(SPEAKERS)
    for index in range(DAYS):
        day = FIRST_DAY + timedelta(days=index)
        slots = day_slots(total // DAYS + (index < total % DAYS))
        length = max(5, min(75, 9 * 60 // max(len(slots), 1)))
        for number, split in enumerate(slots):
            start = 8 * 60 + number * length
            for class_name in CLASSES if split else (None,):
                rows.append(
                    AgendaSession(
                        event_id=event_id,
                        day=day,
                        starts_at=local(day, start),
                        ends_at=local(day, start + length),
                        title=next(topics),
                        speakers=next(speakers),
                        room=ROOMS[class_name],
                        class_name=class_name,
                        description="Bawa laptop dan data koleksi perpustakaan Anda."
                        if number % 4 == 1
                        else "",
                    )
                )
    return rows


def people(count: int) -> list[Person]:
    """One in ten reads English; one in ten has not picked a class (and sees both)."""
    return [
        Person(
            FIRST_USER_ID + i,
            "en" if i % 10 == 9 else "id",
            None if i % 10 == 4 else CLASSES[i % len(CLASSES)],
        )
        for i in range(count)
    ]


async def seed(
    sessions: SessionMaker, crowd: list[Person], total: int
) -> dict[str | None, list[Offered]]:
    """The event, its agenda and everyone enrolled (as tests/factories.py, in bulk);
    returns the sessions each class is shown today, to press."""
    async with sessions.begin() as session:
        event = await create_event(
            session,
            code=EVENT_CODE,
            name="Bimtek Pengelolaan Perpustakaan Kutai Kartanegara",
            organizer="Dinas Perpustakaan dan Kearsipan",
            venue="Hotel Grand Elty Singgasana, Tenggarong",
            timezone=TIMEZONE,
            starts_on=FIRST_DAY,
            ends_on=FIRST_DAY + timedelta(days=DAYS - 1),
        )
        assert event.id is not None
        session.add_all(EventClass(event_id=event.id, name=name) for name in CLASSES)
        rows = agenda(event.id, total)
        session.add_all(rows)
        participants = [
            DbPerson(
                locale=person.locale,
                full_name=f"Peserta {person.user_id}",
                phone_e164=f"+62812{person.user_id:07d}",
                library_name="Perpustakaan Desa Sukamaju",
                library_type="desa",
                regency="Kutai Kartanegara",
                province="Kalimantan Timur",
                library_role="Pengelola",
                registered_at=datetime(2024, 11, 1, tzinfo=UTC),
                viewing_event_id=event.id,
            )
            for person in crowd
        ]
        session.add_all(participants)
        await session.flush()
        identities = []
        for person, participant in zip(crowd, participants, strict=True):
            assert participant.id is not None
            session.add(
                Enrollment(
                    person_id=participant.id,
                    event_id=event.id,
                    class_name=person.class_name,
                )
            )
            identities.append(
                ChannelIdentity(
                    person_id=participant.id,
                    channel=CHANNEL,
                    user_key=str(person.user_id),
                    address=str(person.user_id),
                )
            )
        session.add_all(identities)
        await session.flush()
        session.add_all(Conversation(identity_id=i.id) for i in identities if i.id is not None)
        await session.flush()
    today = sorted((r for r in rows if r.day == TODAY), key=lambda r: r.starts_at)
    return {
        class_name: [
            Offered(f"{SESSION}|{r.id}", r.title)
            for r in today
            if class_name is None or r.class_name in (None, class_name)
        ]
        for class_name in (None, *CLASSES)
    }


# The look-ups ------------------------------------------------------------------------


def expected(kind: str, person: Person, title: str = "") -> tuple[str, ...]:
    """Texts the replies must contain: the right day, the event's zone, the real answer."""
    t = Translator(person.locale)
    zone = zone_label(TIMEZONE, NOW)
    if kind == JADWAL:
        return format_date(TODAY, person.locale), zone
    if kind == BESOK:
        return format_date(TOMORROW, person.locale), zone
    if kind == SEKARANG:
        date_text = format_date(TODAY, person.locale)
        return (t("now.title", time=format_time(NOW, TIMEZONE), zone=zone, date=date_text),)
    if kind == AGENDA:
        return zone, t("schedule.agenda_done")
    return f"📌 {title}", zone


def plan(
    crowd: list[Person],
    offers: dict[str | None, list[Offered]],
    lookups: int,
    concurrency: int,
    rng_seed: int,
) -> list[list[Lookup]]:
    """What each of ``concurrency`` chatting people sends, in order. Each takes turns with
    their own share of the participants, so no two talk as the same person at once."""
    rng = random.Random(rng_seed)
    chats = min(concurrency, len(crowd), lookups)
    kinds, weights = list(MIX), list(MIX.values())
    scripts: list[list[Lookup]] = []
    for chat in range(chats):
        share = crowd[chat::chats]
        script = []
        for turn in range(lookups // chats + (chat < lookups % chats)):
            person = share[turn % len(share)]
            kind = rng.choices(kinds, weights)[0]
            if kind == SESI:
                offered = offers[person.class_name]
                number = rng.randrange(min(len(offered), SESSION_BUTTONS))
                pressed = offered[number]
                script.append(
                    Lookup(
                        kind,
                        person.user_id,
                        pressed.data,
                        expected(kind, person, pressed.title),
                        f"{number + 1}. {pressed.title}"[:24],
                    )
                )
            else:
                script.append(Lookup(kind, person.user_id, kind, expected(kind, person)))
        scripts.append(script)
    return scripts


class LookupServer(WatchedServer):
    """The fake API, also noting when each reply arrived. It keeps no log of calls or
    updates (the tests' fake does), so that its own cost does not grow over a long run."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.calls = _Forgetful()
        self.history = _ForgetfulDict()
        self.arrived_at: defaultdict[int, list[float]] = defaultdict(list)

    async def _api_sendMessage(self, params: Params) -> Any:  # noqa: N802 (Bot API's name)
        self.arrived_at[int(params["chat_id"])].append(time.perf_counter())
        return await super()._api_sendMessage(params)


class _Forgetful(list[Any]):
    def append(self, item: Any) -> None:
        pass


class _ForgetfulDict(dict[int, Params]):
    def __setitem__(self, key: int, value: Params) -> None:
        pass


APOLOGIES = tuple(Translator(locale)("error.internal") for locale in LOCALES)


@dataclass
class Tally:
    check: bool  # the echo bot's replies are not checked
    latencies: defaultdict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: int = 0
    unexpected: int = 0
    example: str = ""

    def add(self, lookup: Lookup, latency: float, replies: list[str]) -> None:
        self.latencies[lookup.kind].append(latency)
        if any(apology in reply for reply in replies for apology in APOLOGIES):
            self.errors += 1
        if self.check:
            joined = "\n".join(replies)
            if not all(text in joined for text in lookup.expect):
                self.unexpected += 1
                self.example = self.example or f"{lookup.kind} → {joined[:300]!r}"


def pressed_update(lookup: Lookup) -> Params:
    """A press of the button under the message /jadwal showed (which the bot then edits)."""
    button = {"text": lookup.label, "callback_data": lookup.text}
    shown = {"text": "📅 /jadwal", "reply_markup": {"inline_keyboard": [[button]]}}
    return callback_update(lookup.user_id, shown, lookup.text)


async def chat(server: LookupServer, script: list[Lookup], tally: Tally) -> None:
    message_ids = itertools.count(1)
    for lookup in script:
        chat_id = lookup.user_id
        if lookup.kind == SESI:
            update = pressed_update(lookup)
        else:
            update = message_update(chat_id, next(message_ids), lookup.text)
        server.inbox[chat_id].clear()
        server.arrived_at[chat_id].clear()
        started = time.perf_counter()
        update_id = await server.push(update)
        # Handled: confirmed (the channel confirms only after replying) and answered (the
        # echo bot confirms before its handler runs). Timed up to the last reply.
        await server.wait_handled(update_id, within=STEP_WITHIN)
        await asyncio.wait_for(server.wait_reply(chat_id, 0), STEP_WITHIN)
        latency = server.arrived_at[chat_id][-1] - started
        tally.add(lookup, latency, [str(params["text"]) for params in server.inbox[chat_id]])


async def talk(server: LookupServer, scripts: list[list[Lookup]], tally: Tally) -> None:
    await asyncio.gather(*(chat(server, script, tally) for script in scripts))


async def run_side(side: str, url: str, scripts: list[list[Lookup]]) -> SideResult:
    """One bot's run: the bot in a process of its own, long-polling a fake API that runs
    here with the simulated people, so that the bot's CPU time and memory are its own."""
    server = LookupServer(max_poll_wait=POLL_TIMEOUT)
    await server.start()
    try:
        options = ["--poll-timeout", str(POLL_TIMEOUT)]
        if side == BIMTEK:
            options += ["--database", url, "--clock", NOW.isoformat()]
            options += ["--tick-us", str(TICK // timedelta(microseconds=1))]
        # Start-up (imports, getMe, setMyCommands, the first poll) is not measured.
        async with bot_process(
            side, server.base_url, server.token, server.polling, *options
        ) as bot:
            tally = Tally(check=side == BIMTEK)
            _, cost = await measure(bot, talk(server, scripts, tally))
    finally:
        await server.stop()
    return SideResult(dict(tally.latencies), cost, tally.errors, tally.unexpected, tally.example)


# The database ------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def database(kind: str) -> AsyncIterator[str]:
    """A fresh, migrated database's URL: a SQLite file in a temporary folder, or a
    throwaway database on the local PostgreSQL server (tests/postgres.py)."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="bimtek-bench-") as folder:
            url = f"sqlite+aiosqlite:///{folder}/bench.sqlite3"
            await migrated(url)
            yield url
        return
    async with throwaway_database("bimtek_bench") as url:
        yield url


async def seeded(url: str, crowd: list[Person], total: int) -> dict[str | None, list[Offered]]:
    engine = create_engine(url)
    try:
        return await seed(session_maker(engine), crowd, total)
    finally:
        await engine.dispose()


# The report --------------------------------------------------------------------------


def percentile(values: list[float], p: int) -> float:
    return Result(values, 1).percentile(p) if len(values) > 1 else (values or [0.0])[0]


def report(args: argparse.Namespace, bimtek: SideResult, baseline: SideResult) -> None:
    ours, theirs = bimtek.overall, baseline.overall
    chats = min(args.concurrency, args.participants, args.lookups)
    print(
        f"{args.participants} participants, {args.sessions} sessions "
        f"(classes {'/'.join(CLASSES)}), {args.database}; "
        f"{len(ours.latencies)} look-ups by {chats} {'person' if chats == 1 else 'people'} at once"
    )
    rows: list[Row] = [
        ("messages", len(ours.latencies), len(theirs.latencies), "{:.0f}"),
        ("messages/s", ours.rate, theirs.rate, "{:.1f}"),
        *(
            (
                f"p{p} ms",
                percentile(ours.latencies, p) * 1000,
                percentile(theirs.latencies, p) * 1000,
                "{:.1f}",
            )
            for p in (50, 95, 99)
        ),
        ("max ms", max(ours.latencies) * 1000, max(theirs.latencies) * 1000, "{:.1f}"),
        *cost_rows(bimtek.cost, len(ours.latencies), baseline.cost, len(theirs.latencies)),
    ]
    print_rows(rows)
    print(beyond_the_echo(bimtek.cost, len(ours.latencies), baseline.cost, len(theirs.latencies)))
    print()
    print(
        f"{'Bimtek by kind':<16}{'n':>6}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}"
        f"{'base p99':>10}{'ratio':>8}"
    )
    for kind in MIX:
        mine_kind = bimtek.latencies.get(kind, [])
        if not mine_kind:
            continue
        base_p99 = percentile(baseline.latencies.get(kind, []), 99) * 1000
        p99 = percentile(mine_kind, 99) * 1000
        print(
            f"{KIND_LABELS.get(kind, kind):<16}{len(mine_kind):>6}"
            f"{percentile(mine_kind, 50) * 1000:>9.1f}{percentile(mine_kind, 95) * 1000:>9.1f}"
            f"{p99:>9.1f}{max(mine_kind) * 1000:>9.1f}{base_p99:>10.1f}"
            f"{(p99 / base_p99 if base_p99 else 0):>8.2f}"
        )
    print()
    print(f"error replies (error.internal): {bimtek.errors}")
    print(f"look-ups without the expected answer: {bimtek.unexpected}")
    if bimtek.example:
        print(f"  e.g. {bimtek.example}")


async def prepare(
    args: argparse.Namespace, stack: contextlib.AsyncExitStack
) -> tuple[str, list[list[Lookup]]]:
    url = await stack.enter_async_context(database(args.database))
    crowd = people(args.participants)
    offers = await seeded(url, crowd, args.sessions)
    return url, plan(crowd, offers, args.lookups, args.concurrency, args.seed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--participants", type=int, default=2000, help="enrolled, registered")
    parser.add_argument("--sessions", type=int, default=40, help="agenda sessions in 4 days")
    parser.add_argument("--lookups", type=int, default=4000, help="messages in all")
    parser.add_argument("--concurrency", type=int, default=100, help="people talking at once")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--seed", type=int, default=1, help="of the random mix of look-ups")
    args = parser.parse_args()
    for name in ("participants", "sessions", "lookups", "concurrency"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.sessions < DAYS:
        parser.error(f"--sessions must be at least {DAYS}, one a day")
    configure_logging("WARNING")

    async def run() -> tuple[SideResult, SideResult]:
        async with contextlib.AsyncExitStack() as stack:
            url, scripts = await prepare(args, stack)
            # One bot after the other, so that neither takes CPU from the other.
            return await run_side(BIMTEK, url, scripts), await run_side(ECHO, url, scripts)

    try:
        bimtek, baseline = asyncio.run(run())
    except BenchmarkError as failed:
        raise SystemExit(f"FAILED: {failed}") from None
    report(args, bimtek, baseline)
    if bimtek.errors or bimtek.unexpected:
        raise SystemExit("FAILED: some look-ups were not answered as expected")


if __name__ == "__main__":
    main()
