"""The dashboard's survey pages, without a browser: the figures they show against figures
worked by hand here (never by the results code), the charts, the files, and what an
organiser may not see (a round of another event, anyone's name on the results).

The answers (tests/dashboard_surveys_world.py), by hand:
- evaluation, the nine SKM elements (1–4) of Siti, Budi and Dewi add up to 35 + 27 + 30
  = 92 over 27 answers; each element has 3, so the mean of the element means is 92/27
  and the index 92/27 × 25 = 85.185… → 85.19, band B (76.61–88.30);
- Taufik, rated by Siti only: 4, 4, 4, 3 → 3.75 × 25 = 93.75 (A); Rachmawati, by Siti
  (4, 4, 4, 4) and Budi (3, 3, 3, 3): each question 3.5 → 87.50 (B);
- tests of ten questions: Siti 4 → 10 right (g = 0.6/0.6 = 1), Dewi 5 → 8
  (g = 0.3/0.5 = 0.6), Budi 6 → 7 (g = 0.1/0.4 = 0.25); class A (Siti, Dewi): pre 45,
  post 90, g 0.8, high; class B (Budi): 60, 70, 0.25, low; everyone: 50, 83.33,
  1.85/3 = 0.6166… → 0.62, medium; Samarinda (Budi, Dewi): g 0.425 → 0.43, medium.
"""

import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from html.parser import HTMLParser

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from PIL import Image
from sqlmodel import col, select

from bot.dashboard.core import PREFIX
from bot.db import SessionMaker
from models import AgendaSession, OutboxMessage
from models.audit import AuditEntry
from models.notifications import Kind
from models.surveys.charts import BAR_COLOUR, BAR_MAX, BASELINE, slot
from models.surveys.shipped import EVALUATION
from models.surveys.store import latest_survey, open_round
from tests.dashboard_helpers import NOW, World, cookie_for, dashboard_app, world
from tests.dashboard_surveys_world import (
    COMMENTS,
    EVALUATION_POINTS,
    SurveyWorld,
    answered_surveys,
)
from tests.factories import id_of


class Rows(HTMLParser):
    """The rows of the table with ``id``, each as the texts of its cells."""

    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id = table_id
        self.depth = 0  # inside the table: how many tables deep
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and (self.depth or ("id", self.table_id) in attrs):
            self.depth += 1
        elif self.depth and tag == "tr":
            self.rows.append([])
        elif self.depth and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self.depth:
            self.depth -= 1
        elif self.depth and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def rows_of(html: str, table_id: str) -> list[list[str]]:
    parser = Rows(table_id)
    parser.feed(html)
    assert parser.rows, f"no table {table_id}"
    return parser.rows


class Place:
    def __init__(self, client: httpx.AsyncClient, world: World, surveys: SurveyWorld) -> None:
        self.client = client
        self.world = world
        self.surveys = surveys
        self.base = f"{PREFIX}/acara/{world.mine.id}/survei"


@pytest.fixture
async def place(sessions: SessionMaker) -> AsyncIterator[Place]:
    app = dashboard_app(sessions, lambda: NOW)
    built = await world(sessions)
    answered = await answered_surveys(sessions, built)
    cookies = await cookie_for(sessions, app, built.organiser)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=transport, base_url="http://bimtek.test", cookies=cookies
        ) as client,
    ):
        yield Place(client, built, answered)


async def test_the_rounds_with_their_state_and_answers(place: Place) -> None:
    page = await place.client.get(place.base)
    assert page.status_code == 200
    rows = {row[0]: row for row in rows_of(page.text, "rounds")[1:]}
    pre = next(row for title, row in rows.items() if title.startswith("Pre-test"))
    post = next(row for title, row in rows.items() if title.startswith("Post-test"))
    evaluation = next(row for title, row in rows.items() if title.startswith("Evaluasi"))
    feedback = next(row for title, row in rows.items() if title.startswith("Advokasi"))
    # Three enrolled, each asked everything; the session's feedback is not open yet.
    assert (pre[1], pre[3]) == ("Ditutup", "3 / 3 (100%)")
    assert (post[1], post[3]) == ("Dibuka", "3 / 3 (100%)")
    assert (evaluation[1], evaluation[3]) == ("Dibuka", "3 / 3 (100%)")
    assert (feedback[1], feedback[3]) == ("Belum dibuka", "0 / 3 (0%)")
    assert "Siti Rahayu" not in page.text


async def test_n_gain_by_class_and_regency_is_the_hand_worked_one(place: Place) -> None:
    page = await place.client.get(place.base)
    rows = {row[0]: row[1:] for row in rows_of(page.text, "ngain")[1:]}
    # people, pre, post, N-gain, category, no N-gain
    assert rows["Semua peserta"] == ["3", "50,00", "83,33", "0,62", "Sedang", "0"]
    assert rows["Kelas A"] == ["2", "45,00", "90,00", "0,80", "Tinggi", "0"]
    assert rows["Kelas B"] == ["1", "60,00", "70,00", "0,25", "Rendah", "0"]
    assert rows["Kab./kota Kutai Kartanegara"] == ["1", "40,00", "100,00", "1,00", "Tinggi", "0"]
    assert rows["Kab./kota Samarinda"] == ["2", "55,00", "75,00", "0,43", "Sedang", "0"]
    english = await place.client.get(place.base + "?lang=en")
    rows = {row[0]: row[1:] for row in rows_of(english.text, "ngain")[1:]}
    assert rows["Everyone"] == ["3", "50.00", "83.33", "0.62", "Medium", "0"]


async def test_the_evaluation_index_band_speakers_and_comments(place: Place) -> None:
    page = await place.client.get(f"{place.base}/{place.surveys.evaluation}")
    assert page.status_code == 200
    html = page.text
    index = (35 + 27 + 30) / 27 * 25  # 85.185…
    assert f"{index:.2f}" == "85.19"
    assert 'id="skm-index">85,19<' in html
    assert 'id="skm-band">B<' in html
    elements = rows_of(html, "skm-elements")[1:]
    assert len(elements) == 9
    assert elements[2] == ["Waktu pelaksanaan", "3", "3,00"]  # timeliness: 4 + 3 + 2
    speakers = {row[0]: row[1:] for row in rows_of(html, "speaker-indexes")[1:] if row}
    assert speakers["Taufik, S.Sos, M.Si"] == ["93,75", "A · Sangat baik"]
    assert speakers["Rachmawati"] == ["87,50", "B · Baik"]
    # Comments as /hasil shows them to organisers: all of them, said by nobody; what was
    # typed is shown as text.
    assert COMMENTS["Siti Rahayu"] in html
    assert "&lt;b&gt;Lebih banyak praktik&lt;/b&gt;" in html
    assert "<b>Lebih" not in html
    for name in EVALUATION_POINTS:
        assert name not in html
    assert "3 dari 3 orang yang diminta sudah menjawab (100%)" in html
    english = await place.client.get(f"{place.base}/{place.surveys.evaluation}?lang=en")
    assert 'id="skm-index">85.19<' in english.text
    assert "3 of the 3 people asked have answered (100%)" in english.text
    assert "B · Good" in english.text


async def test_a_chart_is_a_png_of_the_answers(place: Place) -> None:
    page = await place.client.get(f"{place.base}/{place.surveys.evaluation}")
    charts = [part.split('"')[0] for part in page.text.split('class="chart" src="')[1:]]
    # The 9 elements and 4 questions × 2 speakers, answered; not the comment.
    assert len(charts) == 17
    response = await place.client.get(charts[0])
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG"
    assert image.size == (640, 400)
    # requirements: 4, 3, 4 → one "3" and two "4": the bar of 4 is twice that of 3.
    rgb = image.convert("RGB")

    def height(bar: int) -> int:
        left, right = slot(bar, 4)
        x = round((left + right) / 2)
        return sum(1 for y in range(BASELINE) if rgb.getpixel((x, y)) == BAR_COLOUR)

    assert [height(bar) for bar in range(4)] == [0, 0, BAR_MAX // 2, BAR_MAX]
    # The comment has no chart, nor a question that is not there.
    base = f"{place.base}/{place.surveys.evaluation}/grafik"
    assert (await place.client.get(f"{base}/17")).status_code == 404
    assert (await place.client.get(f"{base}/99")).status_code == 404
    assert (await place.client.get(f"{base}/-1")).status_code == 404


async def test_the_workbook_and_csv_are_the_chats(place: Place, sessions: SessionMaker) -> None:
    response = await place.client.get(place.base + ".xlsx")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == (
        'attachment; filename="hasil-survei-SMD24.xlsx"'
    )
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    summary = [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    cells = {cell for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True)
             for cell in row}  # fmt: skip
    workbook.close()
    assert ["overall", None, 3, 50.0, 83.33, 0.62, "medium", 0] in summary
    assert any(row[:2] == [2, "overall"] and row[5:7] == [85.19, "B"] for row in summary)
    assert {"Siti Rahayu", "Budi Santoso", "Dewi Lestari"} <= cells  # the organisers' file
    every = await place.client.get(place.base + ".csv")
    assert every.status_code == 200
    rows = list(csv.DictReader(io.StringIO(every.content.decode("utf-8-sig"))))
    assert len(rows) == 9  # three rounds of three
    assert {row["survey"] for row in rows} == {"pre-test", "evaluation", "post-test"}
    one = await place.client.get(f"{place.base}/{place.surveys.evaluation}/jawaban.csv")
    rows = list(csv.DictReader(io.StringIO(one.content.decode("utf-8-sig"))))
    assert sorted(row["requirements"] for row in rows) == ["3", "4", "4"]
    assert "round" not in rows[0]
    async with sessions() as session:  # each download is in the audit log, by the organiser
        exports = select(AuditEntry).where(col(AuditEntry.action) == "export")
        logged = (await session.execute(exports.order_by(col(AuditEntry.id)))).scalars().all()
    assert [(e.actor_person_id, e.target_kind, e.details["format"]) for e in logged] == [
        (place.world.organiser, "survey_results", ["xlsx"]),
        (place.world.organiser, "survey_results", ["csv"]),
        (place.world.organiser, "survey_results", ["csv"]),
    ]


async def test_a_round_of_another_event_is_not_found(place: Place, sessions: SessionMaker) -> None:
    other = place.world.other
    async with sessions.begin() as session:
        survey = await latest_survey(session, EVALUATION)
        assert survey is not None
        theirs, _ = await open_round(
            session, survey=survey, event_id=id_of(other), slot=EVALUATION,
            opens_at=NOW - timedelta(hours=1),
        )  # fmt: skip
        theirs_id = theirs.id
    for path in ("", "/grafik/0", "/jawaban.csv"):
        response = await place.client.get(f"{place.base}/{theirs_id}{path}")
        assert response.status_code == 404, path
        assert "Survei tidak ditemukan" in response.text
    response = await place.client.get(f"{place.base}/999999")
    assert response.status_code == 404


async def test_quick_feedback_asks_the_sessions_participants_once(
    place: Place, sessions: SessionMaker
) -> None:
    async with sessions() as session:
        found = await session.execute(
            select(AgendaSession.id)
            .where(col(AgendaSession.event_id) == place.world.mine.id)
            .order_by(col(AgendaSession.starts_at))
        )
        begun, later = found.scalars().all()
    page = await place.client.get(place.base)
    assert f'id="quick-{begun}"' in page.text  # 08.30, begun at 09.10
    assert f'id="quick-{later}"' not in page.text  # 10.15, not yet
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert token is not None
    quick = f"{place.base}/umpan-balik"
    sent = await place.client.post(quick, data={"csrf": token.group(1), "sesi": str(begun)})
    assert sent.status_code == 303
    target = sent.headers["location"]
    assert target.endswith("?dikirim=3")  # the three participants, none asked before
    shown = await place.client.get(target)
    assert "Umpan balik dikirim ke 3 peserta." in shown.text
    assert "Strategi Transformasi" in shown.text
    async with sessions() as session:
        prompts = await session.execute(
            select(OutboxMessage.identity_id).where(col(OutboxMessage.kind) == Kind.SURVEY.value)
        )
        assert len(prompts.all()) == 3
    again = await place.client.post(quick, data={"csrf": token.group(1), "sesi": str(begun)})
    assert again.headers["location"] == target.replace("dikirim=3", "dikirim=0")
    refused = await place.client.post(quick, data={"csrf": token.group(1), "sesi": str(later)})
    assert refused.status_code == 404
    listed = await place.client.get(place.base)
    rows = [row for row in rows_of(listed.text, "rounds") if row[0].startswith("Strategi")]
    assert [row[1:2] + row[3:4] for row in rows] == [["Dibuka", "0 / 3 (0%)"]]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sesi=st.text(max_size=30), chart=st.integers(min_value=-(10**6), max_value=10**6))
async def test_any_session_or_chart_asked_for_is_found_or_not(
    place: Place, sesi: str, chart: int
) -> None:
    page = await place.client.get(place.base)
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert token is not None
    begun = re.search(r'id="quick-(\d+)"', page.text)
    assert begun is not None
    response = await place.client.post(
        f"{place.base}/umpan-balik", data={"csrf": token.group(1), "sesi": sesi}
    )
    assert response.status_code == (303 if sesi == begun.group(1) else 404), sesi
    drawn = await place.client.get(f"{place.base}/{place.surveys.evaluation}/grafik/{chart}")
    # The 9 elements and the speakers' 8 are charts; the comment (17) and the rest not.
    assert drawn.status_code == (200 if 0 <= chart < 17 else 404), chart
