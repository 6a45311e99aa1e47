"""A round's results as a chat message: who answered out of how many, each question's
mean and spread, the SKM index, the comments. Numbers are written as the reader's
language writes them ("3,5" in Indonesian)."""

from decimal import Decimal
from fractions import Fraction

from babel.numbers import format_decimal

from handlers.i18n import Translator
from models.surveys.definition import QuestionType
from models.surveys.results import RoundResult, Tally

MAX_COMMENTS = 8  # the newest; the export has them all
BAR = "▇"
BAR_WIDTH = 10


def number(value: Fraction | Decimal | float, locale: str, places: int = 1) -> str:
    pattern = "#,##0." + "0" * places
    return format_decimal(float(value), format=pattern, locale=locale)


def bars(tally: Tally, t: Translator) -> list[str]:
    """One line per point or option: a bar as long as its share of the most chosen."""
    highest = max((c.count for c in tally.counts), default=0)
    labels = {o.value: o.text.get(t.locale) for o in tally.question.options or ()}
    lines = []
    for found in tally.counts:
        if isinstance(found.value, bool):
            label = t("question.yes" if found.value else "question.no")
        else:
            label = labels.get(str(found.value), str(found.value))
        length = round(BAR_WIDTH * found.count / highest) if highest else 0
        lines.append(f"  {label} {BAR * length} {found.count}")
    return lines


def tally_lines(tally: Tally, t: Translator) -> list[str]:
    question, locale = tally.question, t.locale
    name = question.text.get(locale)
    if tally.subject:
        name += f" — {tally.subject}"
    if question.type is QuestionType.TEXT:
        if not tally.comments:
            return []
        newest = tally.comments[-MAX_COMMENTS:]
        shown = [f"  “{c.text}”" for c in newest]
        if len(tally.comments) > len(newest):
            shown.append("  " + t("results.more_comments", count=len(tally.comments) - len(newest)))
        return [f"▪️ {name}", *shown]
    head = f"▪️ {name} (n={tally.answered})"
    if tally.mean is not None:
        top = question.scale if question.type is QuestionType.SCALE else None
        mean = number(tally.mean, locale)
        head += " · " + (
            t("results.mean_of", mean=mean, top=top) if top else t("results.mean", mean=mean)
        )
    return [head, *bars(tally, t)] if tally.answered else [head]


def round_text(result: RoundResult, t: Translator) -> str:
    """The whole of a round's results, as one message."""
    locale, round_ = t.locale, result.round
    title = round_.definition.title_in(locale)
    if round_.session_title:
        title += f" — {round_.session_title}"
    lines = [f"📊 {title}"]
    if result.rate is not None:
        percent = number(result.rate * 100, locale, 0)
        lines.append(
            t("results.answered", done=result.submitted, asked=round_.asked, percent=percent)
        )
    else:
        lines.append(t("results.answered_only", done=result.submitted))
    for tally in result.tallies:
        lines += tally_lines(tally, t)
    if result.skm is not None and result.skm.index is not None:
        index = result.skm.index
        lines.append(t("results.skm", index=number(index.value, locale, 2), band=index.band.value))
    for speaker in result.speakers:
        lines.append(
            t(
                "results.skm_speaker",
                speaker=speaker.speaker,
                index=number(speaker.index.value, locale, 2),
                band=speaker.index.band.value,
            )
        )
    return "\n".join(lines)
