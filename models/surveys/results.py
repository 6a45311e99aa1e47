"""What survey rounds' answers add up to: counts and means per question, response rates,
the SKM index (PermenPANRB 14/2017) and the pre-/post-test N-gain.

Pure computations over plain values (``models.surveys.report`` builds them from the
tables), so that every figure can be worked by hand. Means are exact fractions: the SKM
weight is exactly 1/number of elements, and an index is rounded half-up to two decimals
only at the end, then banded by that rounded value.
"""

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from models.surveys.definition import (
    AnswerValue,
    Localized,
    Purpose,
    QuestionDef,
    QuestionType,
    SurveyDefinition,
)

Answers = Mapping[tuple[str, str], AnswerValue]  # (question id, subject) → answer

SKM_SCALE = 4
SKM_FACTOR = 25  # a mean on 1–4 times 25: an index on 25–100


# --- inputs -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Respondent:
    """Who answered, as far as the results may tell: in anonymous results every detail is
    None, and the id only tells responses apart."""

    person_id: int
    name: str | None = None
    phone: str | None = None
    library: str | None = None
    regency: str | None = None
    class_name: str | None = None


@dataclass(frozen=True, slots=True)
class Response:
    respondent: Respondent
    submitted_at: datetime | None  # None: a draft, which counts nowhere
    answers: Answers


@dataclass(frozen=True, slots=True)
class RoundInput:
    """One survey round: its questions, how many people it asked, their responses."""

    round_id: int
    slot: str
    definition: SurveyDefinition
    asked: int
    responses: tuple[Response, ...]
    speakers: tuple[str, ...] = ()  # whom its per-speaker questions ask about
    session_title: str | None = None
    opens_at: datetime | None = None

    @property
    def submitted(self) -> tuple[Response, ...]:
        return tuple(r for r in self.responses if r.submitted_at is not None)

    def subjects(self, question: QuestionDef) -> tuple[str, ...]:
        """What a question was asked about: "" for a plain one; for a per-speaker one the
        round's speakers, then any other speaker answers name."""
        if not question.per_speaker:
            return ("",)
        named = {
            subject
            for response in self.submitted
            for (asked, subject) in response.answers
            if asked == question.id and subject and subject not in self.speakers
        }
        return (*self.speakers, *sorted(named))


# --- numbers ----------------------------------------------------------------------------


def exact(number: float) -> Fraction:
    """A stored number as the decimal it was written as (0.1 is 1/10, not a binary
    approximation)."""
    return Fraction(str(number)) if isinstance(number, float) else Fraction(number)


def round_half_up(value: Fraction, places: int = 2) -> Decimal:
    """``value`` to ``places`` decimals, halves away from zero (88.305 → 88.31)."""
    scaled = abs(value) * 10**places
    digits = math.floor(scaled + Fraction(1, 2))
    return Decimal(digits if value >= 0 else -digits).scaleb(-places)


def rate(part: int, whole: int) -> Fraction | None:
    """``part`` of ``whole``; None when there is no whole (nobody was asked)."""
    return Fraction(part, whole) if whole > 0 else None


# --- one question -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Count:
    value: int | str | bool  # a scale point, an option's value, yes (True) or no
    count: int


@dataclass(frozen=True, slots=True)
class Comment:
    text: str
    by: str | None  # the respondent's name; None in anonymous results


@dataclass(frozen=True, slots=True)
class Tally:
    """The answers to one question (about one speaker, for a per-speaker one)."""

    question: QuestionDef
    subject: str  # "" or the speaker
    answered: int
    counts: tuple[Count, ...]  # every point or option in order, zeros included
    mean: Fraction | None  # scale and number questions, once answered
    comments: tuple[Comment, ...]  # text questions


def fits(question: QuestionDef, value: AnswerValue) -> bool:
    """Whether a stored answer is one the question can have (bool is no scale point)."""
    kind = question.type
    if kind is QuestionType.SCALE:
        return type(value) is int and 1 <= value <= (question.scale or 0)
    if kind is QuestionType.NUMBER:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        return math.isfinite(value)
    if kind is QuestionType.YES_NO:
        return type(value) is bool
    if kind is QuestionType.TEXT:
        return isinstance(value, str)
    values = [o.value for o in question.options or ()]
    if kind is QuestionType.SINGLE:
        return isinstance(value, str) and value in values
    return isinstance(value, list) and all(isinstance(v, str) and v in values for v in value)


def tally(
    question: QuestionDef, subject: str, responses: Iterable[Response], *, names: bool = True
) -> Tally:
    found = [
        (response, value)
        for response in responses
        if (value := response.answers.get((question.id, subject))) is not None
        and fits(question, value)
    ]
    values = [value for _, value in found]
    counts: tuple[Count, ...] = ()
    possible = question.possible()
    if possible is not None:
        picked = [v for value in values for v in (value if isinstance(value, list) else [value])]
        counts = tuple(
            Count(p, sum(1 for v in picked if (type(v), v) == (type(p), p))) for p in possible
        )
    mean = None
    if question.type in (QuestionType.SCALE, QuestionType.NUMBER) and values:
        mean = sum((exact(v) for v in values if isinstance(v, int | float)), Fraction(0))
        mean /= len(values)
    comments: tuple[Comment, ...] = ()
    if question.type is QuestionType.TEXT:
        said = [
            Comment(value.strip(), response.respondent.name if names else None)
            for response, value in found
            if isinstance(value, str) and value.strip()
        ]
        # Unattributed comments in a fixed order, so that their order tells nothing of who
        # answered when.
        comments = tuple(said if names else sorted(said, key=lambda c: c.text))
    return Tally(question, subject, len(found), counts, mean, comments)


# --- the SKM index ----------------------------------------------------------------------


class Band(StrEnum):
    """The service quality an SKM index stands for (PermenPANRB 14/2017)."""

    A = "A"  # 88.31–100.00, sangat baik
    B = "B"  # 76.61–88.30, baik
    C = "C"  # 65.00–76.60, kurang baik
    D = "D"  # 25.00–64.99, tidak baik


_BANDS = ((Decimal("88.31"), Band.A), (Decimal("76.61"), Band.B), (Decimal("65.00"), Band.C))


def band_of(value: Decimal) -> Band:
    """The band of an index already rounded to two decimals."""
    return next((band for floor, band in _BANDS if value >= floor), Band.D)


@dataclass(frozen=True, slots=True)
class Index:
    exact: Fraction  # 25–100

    @property
    def value(self) -> Decimal:
        return round_half_up(self.exact)

    @property
    def band(self) -> Band:
        return band_of(self.value)


def skm_index(means: Sequence[Fraction]) -> Index | None:
    """The mean of element means (each weighted exactly 1/len) × 25."""
    if not means:
        return None
    weight = Fraction(1, len(means))
    return Index(sum((mean * weight for mean in means), Fraction(0)) * SKM_FACTOR)


@dataclass(frozen=True, slots=True)
class Element:
    """One SKM element: the questions that name it, and their mean answer (its NRR)."""

    name: Localized
    question_ids: tuple[str, ...]
    answered: int
    mean: Fraction | None


@dataclass(frozen=True, slots=True)
class Skm:
    elements: tuple[Element, ...]
    # Over the elements that have answers (an element nobody rated is no zero); None
    # until one has.
    index: Index | None

    @property
    def weight(self) -> Fraction | None:
        rated = sum(1 for e in self.elements if e.mean is not None)
        return Fraction(1, rated) if rated else None


def skm(tallies: Sequence[Tally]) -> Skm | None:
    """The SKM of a round's tallies: None when none of its questions is an element."""
    grouped: dict[str, list[Tally]] = defaultdict(list)
    names: dict[str, Localized] = {}
    for found in tallies:
        element = found.question.element
        if element is not None:
            grouped[element.id].append(found)
            names.setdefault(element.id, element)
    if not grouped:
        return None
    elements = []
    for key, members in grouped.items():
        answered = sum(t.answered for t in members)
        total = sum((t.mean * t.answered for t in members if t.mean is not None), Fraction(0))
        ids = tuple(dict.fromkeys(t.question.id for t in members))
        elements.append(Element(names[key], ids, answered, total / answered if answered else None))
    index = skm_index([e.mean for e in elements if e.mean is not None])
    return Skm(tuple(elements), index)


@dataclass(frozen=True, slots=True)
class SpeakerIndex:
    """A speaker's index: the means of the per-speaker 1–4 questions about them, averaged
    as the SKM averages its elements, × 25."""

    speaker: str
    questions: int
    index: Index


def speaker_indexes(tallies: Sequence[Tally]) -> tuple[SpeakerIndex, ...]:
    means: dict[str, list[Fraction]] = {}
    for found in tallies:
        question = found.question
        about_speaker = question.per_speaker and question.scale == SKM_SCALE
        if about_speaker and found.subject and found.mean is not None:
            means.setdefault(found.subject, []).append(found.mean)
    found_indexes = []
    for speaker, rated in means.items():
        index = skm_index(rated)
        assert index is not None
        found_indexes.append(SpeakerIndex(speaker, len(rated), index))
    return tuple(found_indexes)


# --- tests ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Score:
    respondent: Respondent
    points: Fraction
    max_points: Fraction

    @property
    def fraction(self) -> Fraction:
        """0–1 of the test's maximum."""
        return self.points / self.max_points if self.max_points else Fraction(0)

    @property
    def percent(self) -> Fraction:
        return self.fraction * 100


def score(definition: SurveyDefinition, response: Response) -> Score:
    """The points a test's response earned: each scored question's, all or nothing."""
    points = sum(
        (
            exact(q.score(response.answers.get((q.id, ""))))
            for q in definition.questions
            if q.scored
        ),
        Fraction(0),
    )
    return Score(response.respondent, points, exact(definition.max_score))


class Hake(StrEnum):
    """Hake's categories of a normalised gain."""

    HIGH = "high"  # g ≥ 0.7
    MEDIUM = "medium"  # 0.3 ≤ g < 0.7
    LOW = "low"  # g < 0.3, a loss included


def hake(g: Fraction) -> Hake:
    if g >= Fraction(7, 10):
        return Hake.HIGH
    return Hake.MEDIUM if g >= Fraction(3, 10) else Hake.LOW


def n_gain(pre: Fraction, post: Fraction) -> Fraction | None:
    """(post − pre) / (max − pre) on the 0–1 scale; None when the pre-test already had
    full marks: there was nothing left to gain, which is no gain of zero."""
    if pre >= 1:
        return None
    return (post - pre) / (1 - pre)


@dataclass(frozen=True, slots=True)
class Gain:
    """One participant who took both tests."""

    respondent: Respondent
    pre: Score
    post: Score

    @property
    def g(self) -> Fraction | None:
        return n_gain(self.pre.fraction, self.post.fraction)

    @property
    def category(self) -> Hake | None:
        return hake(self.g) if self.g is not None else None


@dataclass(frozen=True, slots=True)
class GainGroup:
    """Participants of one class or regency (or all of them) who took both tests."""

    name: str | None  # the class or regency; None: not given
    n: int
    mean_pre: Fraction  # 0–100
    mean_post: Fraction
    mean_g: Fraction | None  # the mean of the individual gains that are defined
    no_g: int  # full marks in the pre-test already

    @property
    def category(self) -> Hake | None:
        return hake(self.mean_g) if self.mean_g is not None else None


def gain_group(name: str | None, gains: Sequence[Gain]) -> GainGroup:
    defined = [gain.g for gain in gains if gain.g is not None]
    n = len(gains)
    return GainGroup(
        name=name,
        n=n,
        mean_pre=sum((g.pre.percent for g in gains), Fraction(0)) / n if n else Fraction(0),
        mean_post=sum((g.post.percent for g in gains), Fraction(0)) / n if n else Fraction(0),
        mean_g=sum(defined, Fraction(0)) / len(defined) if defined else None,
        no_g=n - len(defined),
    )


def _groups(gains: Sequence[Gain], key: Callable[[Respondent], str | None]) -> list[GainGroup]:
    members: dict[str | None, list[Gain]] = defaultdict(list)
    for gain in gains:
        members[key(gain.respondent)].append(gain)
    # By name, the people without one last.
    order = sorted(members, key=lambda name: (name is None, (name or "").casefold()))
    return [gain_group(name, members[name]) for name in order]


@dataclass(frozen=True, slots=True)
class ItemChange:
    """A question in both tests (by id): how many of the paired participants had it right
    before and after."""

    question_id: str
    n: int
    right_before: int
    right_after: int


@dataclass(frozen=True, slots=True)
class TestComparison:
    gains: tuple[Gain, ...]
    overall: GainGroup
    by_class: tuple[GainGroup, ...]
    by_regency: tuple[GainGroup, ...]
    items: tuple[ItemChange, ...]
    only_pre: int  # took the pre-test and not the post-test
    only_post: int


def compare_tests(rounds: Sequence[RoundInput]) -> TestComparison | None:
    """Pre-test and post-test rounds of one event, paired by person: each person's first
    submitted pre-test and last submitted post-test. None without both kinds of round."""
    purposes = {r.definition.purpose for r in rounds}
    if Purpose.PRE_TEST not in purposes or Purpose.POST_TEST not in purposes:
        return None
    pre: dict[int, tuple[RoundInput, Response]] = {}
    post: dict[int, tuple[RoundInput, Response]] = {}
    for round_ in rounds:
        purpose = round_.definition.purpose
        if purpose not in (Purpose.PRE_TEST, Purpose.POST_TEST):
            continue
        kept, first = (pre, True) if purpose is Purpose.PRE_TEST else (post, False)
        for response in round_.submitted:
            person = response.respondent.person_id
            held = kept.get(person)
            if held is None or _sooner(response, held[1]) == first:
                kept[person] = (round_, response)
    paired = sorted(pre.keys() & post.keys())
    gains = tuple(
        Gain(
            post[person][1].respondent,
            score(pre[person][0].definition, pre[person][1]),
            score(post[person][0].definition, post[person][1]),
        )
        for person in paired
    )
    return TestComparison(
        gains=gains,
        overall=gain_group(None, gains),
        by_class=tuple(_groups(gains, lambda r: r.class_name)),
        by_regency=tuple(_groups(gains, lambda r: r.regency)),
        items=_item_changes([(pre[p], post[p]) for p in paired]),
        only_pre=len(pre.keys() - post.keys()),
        only_post=len(post.keys() - pre.keys()),
    )


def _sooner(one: Response, other: Response) -> bool:
    assert one.submitted_at is not None
    assert other.submitted_at is not None
    return one.submitted_at < other.submitted_at


def _item_changes(
    pairs: Sequence[tuple[tuple[RoundInput, Response], tuple[RoundInput, Response]]],
) -> tuple[ItemChange, ...]:
    changes: dict[str, list[int]] = {}  # id → [n, right before, right after]
    for (pre_round, pre_response), (post_round, post_response) in pairs:
        for after in post_round.definition.questions:
            before = pre_round.definition.question(after.id)
            if not after.scored or before is None or not before.scored:
                continue
            figures = changes.setdefault(after.id, [0, 0, 0])
            figures[0] += 1
            figures[1] += before.score(pre_response.answers.get((after.id, ""))) > 0
            figures[2] += after.score(post_response.answers.get((after.id, ""))) > 0
    return tuple(ItemChange(key, *figures) for key, figures in changes.items())


# --- a round ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RoundResult:
    round: RoundInput
    submitted: int
    rate: Fraction | None  # submitted / asked; None when nobody was asked
    tallies: tuple[Tally, ...]  # in the survey's order; per speaker for per-speaker ones
    skm: Skm | None  # when the survey has SKM elements
    speakers: tuple[SpeakerIndex, ...]
    scores: tuple[Score, ...]  # a test's, one per submitted response

    @property
    def definition(self) -> SurveyDefinition:
        return self.round.definition


def round_results(round_: RoundInput, *, names: bool = True) -> RoundResult:
    submitted = round_.submitted
    tallies = tuple(
        tally(question, subject, submitted, names=names)
        for question in round_.definition.questions
        for subject in round_.subjects(question)
    )
    scored = round_.definition.purpose in (Purpose.PRE_TEST, Purpose.POST_TEST)
    return RoundResult(
        round=round_,
        submitted=len(submitted),
        rate=rate(len(submitted), round_.asked),
        tallies=tallies,
        skm=skm(tallies),
        speakers=speaker_indexes(tallies),
        scores=tuple(score(round_.definition, r) for r in submitted) if scored else (),
    )
