"""An organiser reads an event's survey results in headless Chromium: the rounds and
their state, the N-gain by class, the evaluation's SKM index and band, a chart that
loads, the comments; then downloads the /hasil workbook and opens it.

The figures are worked by hand (tests/dashboard_surveys_world.py has the answers):
the nine elements' points add up to 35 + 27 + 30 = 92 over 27 answers, so the index is
92/27 × 25 = 85.19, band B; the gains are 1 (Siti), 0.6 (Dewi) and 0.25 (Budi), so
class A's mean is 0.8 (high) and everyone's 1.85/3 = 0.62 (medium)."""

from fractions import Fraction
from pathlib import Path

import pytest

from bot.dashboard.core import PREFIX
from bot.db import SessionMaker
from tests.browser import assert_fits_a_phone, download, signed_in_page, workbook_rows
from tests.dashboard_helpers import Clock, dashboard_app, link_for, world
from tests.dashboard_surveys_world import COMMENTS, EVALUATION_POINTS, answered_surveys


def by_hand() -> tuple[str, str, str]:
    """The SKM index, everyone's N-gain and class A's, as the page writes them."""
    points = sum(sum(given) for given in EVALUATION_POINTS.values())
    index = Fraction(points, 9 * len(EVALUATION_POINTS)) * 25
    gains = {"siti": Fraction(10 - 4, 10 - 4), "dewi": Fraction(8 - 5, 10 - 5),
             "budi": Fraction(7 - 6, 10 - 6)}  # fmt: skip
    everyone = sum(gains.values(), Fraction(0)) / 3
    class_a = (gains["siti"] + gains["dewi"]) / 2

    def written(value: Fraction) -> str:
        hundredths = int(value * 100 + Fraction(1, 2))  # half up, all positive here
        return f"{hundredths // 100},{hundredths % 100:02d}"

    return written(index), written(everyone), written(class_a)


async def test_an_organiser_reads_the_survey_results(
    sessions: SessionMaker, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    built = await world(sessions)
    answered = await answered_surveys(sessions, built)
    token = await link_for(sessions, built.organiser)
    app = dashboard_app(sessions, Clock())
    index, everyone, class_a = by_hand()
    assert (index, everyone, class_a) == ("85,19", "0,62", "0,80")
    async with signed_in_page(app, tmp_path, token, request.node.name) as (page, base):
        await page.click("text=Bimtek SMD24")
        await page.click("nav.tabs >> text=Survei")
        await page.wait_for_url(f"{base}{PREFIX}/acara/{built.mine.id}/survei")

        # The rounds: which are open, answered against asked.
        evaluation = page.locator(f"#round-{answered.evaluation}")
        assert "Dibuka" in await evaluation.inner_text()
        assert (await evaluation.locator(".answered").inner_text()).strip() == "3 / 3 (100%)"
        pre = await page.inner_text(f"#round-{answered.pre}")
        assert "Ditutup" in pre
        assert "Belum dibuka" in await page.inner_text(f"#round-{answered.feedback}")

        # The N-gain, everyone's and class A's.
        overall = page.locator("#ngain tr.gain-overall")
        assert (await overall.locator(".gain").inner_text()).strip() == everyone
        assert (await overall.locator(".category").inner_text()).strip() == "Sedang"
        first_class = page.locator("#ngain tr.gain-class").first
        assert "Kelas A" in await first_class.inner_text()
        assert (await first_class.locator(".gain").inner_text()).strip() == class_a
        assert (await first_class.locator(".category").inner_text()).strip() == "Tinggi"

        # The evaluation's results: the index and its band, a chart, the comments.
        await evaluation.locator("text=Lihat hasil").click()
        await page.wait_for_selector("#skm-index")
        assert (await page.inner_text("#skm-index")).strip() == index
        assert (await page.inner_text("#skm-band")).strip() == "B"
        chart = page.locator("img.chart").first
        await chart.scroll_into_view_if_needed()
        await page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=await chart.element_handle()
        )
        assert await chart.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [
            640,
            400,
        ]
        source = await chart.get_attribute("src")
        assert source is not None
        assert str(answered.evaluation) in source
        png = await page.request.get(base + source)
        assert png.status == 200
        assert (await png.body()).startswith(b"\x89PNG\r\n\x1a\n")
        comments = await page.inner_text("ul.comments")
        for said in COMMENTS.values():
            assert said in comments  # the <b> typed is shown as text
        main = await page.inner_text("main")
        for name in EVALUATION_POINTS:
            assert name not in main  # nobody is named on the results

        await assert_fits_a_phone(page)
        await page.click("text=Kembali ke daftar survei")
        await page.wait_for_selector("#rounds")
        await assert_fits_a_phone(page)

        # Quick feedback for the session on now, as /umpanbalik asks it.
        await page.click("#quick >> button")
        await page.wait_for_selector("#sent")
        assert "dikirim ke 3 peserta" in await page.inner_text("#sent")
        assert "Strategi Transformasi" in await page.inner_text("#round-title")

        # The /hasil workbook, opened.
        await page.click("text=Kembali ke daftar survei")
        saved = await download(page, "#export-xlsx", tmp_path)
        assert saved.name == "hasil-survei-SMD24.xlsx"
        summary, *people = workbook_rows(saved)
        names = {cell for sheet in people for row in sheet for cell in row}
        assert any(row[1:2] == ["overall"] and row[5] == 85.19 for row in summary)
        assert ["overall", None, 3, 50.0, 83.33, 0.62, "medium", 0] in summary
        assert set(EVALUATION_POINTS) <= names
