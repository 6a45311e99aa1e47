"""Survey files: the shipped templates, mistakes named by line, hostile files, the CLI."""

import asyncio
import re
import shutil
import textwrap
import tomllib
from collections.abc import AsyncIterator
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from bot.cli import app
from bot.db import SessionMaker, create_engine, session_maker
from models.surveys import loading
from models.surveys.definition import Purpose, QuestionType, SurveyDefinition
from models.surveys.loading import (
    MAX_FILE_BYTES,
    SurveyFileError,
    load_survey_file,
    load_survey_text,
)
from models.surveys.shipped import install_shipped, shipped_definitions
from models.surveys.store import latest_survey, save_survey, surveys

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_FOLDER = ROOT / "models" / "data" / "surveys"


def problems_of(text: str) -> list[tuple[int, str]]:
    with pytest.raises(SurveyFileError) as refused:
        load_survey_text(textwrap.dedent(text))
    return [(p.line, p.message) for p in refused.value.problems]


def lines_of(text: str) -> list[int]:
    return [line for line, _ in problems_of(text)]


# --- the shipped templates --------------------------------------------------------------


def test_every_shipped_file_loads_under_its_own_name_and_purpose() -> None:
    found = {path.stem: load_survey_file(path) for path in SHIPPED_FOLDER.glob("*.yaml")}
    purposes = {key: definition.purpose.value for key, definition in found.items()}
    assert purposes == {
        "session-feedback": "session_feedback",
        "evaluation": "evaluation",
        "pre-test": "pre_test",
        "post-test": "post_test",
        "action-plan": "action_plan",
        "rtl-followup": "rtl_followup",
    }
    assert all(definition.id == key for key, definition in found.items())
    assert {d.id: d for d in shipped_definitions()} == found


def texts_in(value: Any) -> list[Any]:
    """Every text of a dumped definition: the dicts with an 'id' and no 'type'."""
    if isinstance(value, list):
        return [t for item in value for t in texts_in(item)]
    if not isinstance(value, dict):
        return []
    own = [value] if set(value) <= {"id", "en"} else []
    return own + [t for key, item in value.items() if key != "show_if" for t in texts_in(item)]


@pytest.mark.parametrize("definition", shipped_definitions(), ids=lambda d: d.id)
def test_shipped_texts_are_in_indonesian_and_english(definition: SurveyDefinition) -> None:
    texts = texts_in(definition.model_dump(mode="json", exclude_none=True))
    assert len(texts) > len(definition.questions)  # the title and every question's text
    assert all(text.get("en") and text["en"] != text["id"] for text in texts), texts


def shipped(key: str) -> SurveyDefinition:
    return next(d for d in shipped_definitions() if d.id == key)


def test_session_feedback_is_three_taps_at_most() -> None:
    survey = shipped("session-feedback")
    assert len(survey.questions) == 3
    useful, why, comment = survey.questions
    assert (useful.type, useful.scale, len(useful.labels or [])) == (QuestionType.SCALE, 5, 5)
    assert why.type is QuestionType.TEXT
    assert why.show_if is not None
    shown_after = [point for point in range(1, 6) if why.show_if.holds(point)]
    assert shown_after == [1, 2]
    assert comment.type is QuestionType.TEXT
    assert not comment.required


def test_evaluation_has_the_nine_skm_elements_on_four_points_then_the_speakers() -> None:
    survey = shipped("evaluation")
    elements = [q for q in survey.questions if q.element is not None]
    assert [q.id for q in elements] == [
        "requirements",
        "procedure",
        "timeliness",
        "cost",
        "material",
        "competence",
        "courtesy",
        "complaints",
        "facilities",
    ]
    assert len({q.element.id for q in elements if q.element}) == 9
    assert all(q.scale == 4 and len(q.labels or []) == 4 for q in elements)
    assert [label.id for label in elements[-1].labels or []] == [
        "Tidak baik",
        "Kurang baik",
        "Baik",
        "Sangat baik",
    ]
    speakers = [q for q in survey.questions if q.per_speaker]
    assert len(speakers) == 4
    assert all(q.scale == 4 and q.element is None for q in speakers)
    comment = survey.questions[-1]
    assert comment.type is QuestionType.TEXT
    assert not comment.required


def test_pre_and_post_test_ask_the_same_questions_with_the_same_keys() -> None:
    pre, post = shipped("pre-test"), shipped("post-test")
    assert 8 <= len(pre.questions) <= 10
    assert all(q.type is QuestionType.SINGLE and q.answer for q in pre.questions)
    assert pre.questions == post.questions
    assert pre.max_score == post.max_score == len(pre.questions)
    # Not one letter for every answer: guessing "a" throughout must not pass.
    keys = [q.answer[0] for q in pre.questions if q.answer]
    assert max(keys.count(k) for k in set(keys)) <= 3


def test_action_plan_and_its_follow_up_ask_what_the_brief_says() -> None:
    plan = shipped("action-plan")
    kinds = [(q.id, q.type.value, q.required) for q in plan.questions]
    assert kinds == [
        ("what", "text", True),
        ("by-when", "single", True),
        ("who", "multiple", True),
        ("support", "text", False),
    ]
    by_when = plan.questions[1]
    assert [o.value for o in by_when.options or []] == ["1-month", "3-months", "6-months"]
    follow_up = shipped("rtl-followup")
    progress = follow_up.questions[0]
    assert [o.value for o in progress.options or []] == ["not-started", "in-progress", "done"]
    assert [(q.id, q.type.value, q.required) for q in follow_up.questions[1:]] == [
        ("done-what", "text", True),
        ("obstacles", "text", False),
        ("need-help", "yes_no", True),
    ]


def test_installs_carry_the_shipped_files() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["models"]
    for path in SHIPPED_FOLDER.glob("*.yaml"):
        inside = path.relative_to(ROOT / "models").as_posix()
        assert any(fnmatch(inside, pattern) for pattern in patterns), inside


def test_the_readme_example_loads() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Survey files") :]
    example = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert example is not None
    survey = load_survey_text(example.group(1))
    assert [q.id for q in survey.questions] == ["useful", "why", "comment"]


# --- mistakes, by line ------------------------------------------------------------------

SEVERAL_MISTAKES = """\
    id: demo
    purpose: general
    title: Demo
    colour: red
    questions:
      - id: useful
        type: scale
        scale: 5
        text: Berguna?
      - id: why
        type: text
        text: Mengapa?
        show_if: {question: useful, in: [1, 7]}
      - id: useful
        type: rating
        text: x
      - id: pick
        type: single
        text: Pilih
        options:
          - {value: no, text: Tidak}
          - {value: b, text: B}
      - id: later
        type: yes_no
        text: y
        show_if:
          question: last
          in: [true]
        text: again
      - id: last
        type: yes_no
        text: z
      - type: scale
        scale: 3
        text: q
"""


def test_every_mistake_in_a_file_is_named_with_its_line() -> None:
    assert problems_of(SEVERAL_MISTAKES) == [
        (4, "unknown key 'colour'; the keys here are id, purpose, title, intro, questions"),
        (13, "question 'why': 'useful' cannot be answered 7 (only 1, 2, 3, 4, 5)"),
        (14, "two questions with the id 'useful' (the first on line 6)"),
        (
            15,
            "question 'useful', 'type': unknown question type 'rating'; the types are "
            "scale, single, multiple, text, number, yes_no",
        ),
        (
            21,
            "question 'pick', option 1, 'value': should be text, not false "
            "(YAML reads no as false: write 'no' in quotes)",
        ),
        (
            27,
            "question 'later': 'show_if' names 'last', which comes after it: a follow-up "
            "comes after the question it depends on",
        ),
        (29, "'text' is given twice (also on line 25)"),
        (33, "question 7: 'id' is missing"),
        (34, "question 7, 'scale': should be 4 or 5, not 3"),
    ]


def survey_with(*questions: str, purpose: str = "general") -> str:
    head = f"id: demo\npurpose: {purpose}\ntitle: Demo\nquestions:\n"
    return head + "".join(textwrap.indent(textwrap.dedent(q), "  ") for q in questions)


YES_NO = "- id: came\n  type: yes_no\n  text: Hadir?\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id: demo\npurpose: [general\n", [(3, "not valid YAML")]),
        ("id: demo\n\tpurpose: general\n", [(2, "indent with spaces, not tabs")]),
        ("- id: demo\n", [(1, "a survey file is a mapping of keys")]),
        ("# only a comment\n", [(1, "the file is empty")]),
        ("id: demo\n---\nid: other\n", [(2, "one survey per file")]),
        ("id: x\ntitle: !!python/object/apply:os.system [ls]\n", [(2, "not valid YAML")]),
        ("id: demo\ntitle: a\x07b\n", [(2, "a character YAML does not allow (#x0007)")]),
        (
            survey_with(
                YES_NO,
                "- id: why\n  type: text\n  text: Mengapa?\n  show_if:\n"
                "    question: came\n    in: [1]\n",
            ),
            [(13, "question 'why': 'came' cannot be answered 1 (only true, false)")],
        ),
        (
            survey_with(
                "- id: name\n  type: text\n  text: Nama?\n",
                "- id: why\n  type: text\n  text: x\n  show_if: {question: name, in: [a]}\n",
            ),
            [(11, "question 'why': 'show_if' names 'name', a text question with free answers")],
        ),
        (
            survey_with(
                YES_NO,
                "- id: why\n  type: text\n  text: x\n  show_if: {question: gone, in: [true]}\n",
            ),
            [(11, "question 'why': 'show_if' names 'gone', but no question has that id")],
        ),
        (
            survey_with(
                YES_NO,
                "- id: why\n  type: text\n  text: x\n  per_speaker: true\n"
                "  show_if: {question: came, in: [true]}\n",
            ),
            [(12, "question 'why': 'came' is not per speaker")],
        ),
        (
            survey_with(
                "- id: q\n  type: single\n  text: x\n"
                "  options: [{value: a, text: A}, {value: b, text: B}]\n  answer: b\n"
            ),
            [(9, "question 'q': answer keys are for pre-tests and post-tests only")],
        ),
        (survey_with(YES_NO, purpose="pre_test"), [(2, "a test needs at least one question")]),
        (
            survey_with(YES_NO, purpose="feedback"),
            [(2, "unknown purpose 'feedback'; the purposes are session_feedback, evaluation")],
        ),
        (
            survey_with("- id: Kehadiran\n  type: yes_no\n  text: Hadir?\n"),
            [(5, "question 'Kehadiran', 'id': 'Kehadiran' is not an id")],
        ),
        (
            survey_with("- id: rate\n  type: scale\n  scale: 4\n  text: x\n  labels: [a, b]\n"),
            [(5, "question 'rate': 'labels' needs 4 labels, one for each point")],
        ),
        (
            survey_with("- id: q\n  type: text\n  text: {id: Apa?, fr: Quoi?}\n"),
            [(7, "question 'q', 'text': unknown key 'fr'; the keys here are id, en")],
        ),
        ("id: demo\npurpose: general\ntitle: Demo\n", [(1, "'questions' is missing")]),
    ],
)
def test_each_mistake_is_refused_at_its_line(text: str, expected: list[tuple[int, str]]) -> None:
    found = problems_of(text)
    assert [line for line, _ in found] == [line for line, _ in expected], found
    for (_, message), (_, start) in zip(found, expected, strict=True):
        assert start in message, (message, start)


# --- files and hostile ones -------------------------------------------------------------


def refused(text: str) -> list[tuple[int, str]]:
    """The problems ``text`` is refused for. Each hostile file below is refused by the
    budget its message names (size, values, depth, aliases), which stops the reading there;
    how fast that is, is for a benchmark, not for a timed assertion."""
    with pytest.raises(SurveyFileError) as refusal:
        load_survey_text(text)
    return [(p.line, p.message) for p in refusal.value.problems]


def test_a_billion_laughs_is_refused_at_its_first_anchor() -> None:
    laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in "bcdefghi":
        previous = chr(ord(level) - 1)
        laughs.append(f"{level}: &{level} [{','.join(['*' + previous] * 9)}]")
    text = "\n".join(laughs) + "\n"
    assert refused(text) == [(1, "anchors and aliases ('&' and '*') are not allowed: write it out")]
    # An alias alone, without the anchor that would come first.
    assert refused("id: demo\ntitle: *t\n")[0][0] == 2


def test_large_files_are_refused_before_they_are_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    megabyte = "id: demo\n" + "# padding\n" * 100_000
    with monkeypatch.context() as unparsed:
        unparsed.setattr(loading, "_parsed", lambda text: pytest.fail("parsed"))
        assert refused(megabyte) == [(1, "the file is larger than 256 KB: no survey is")]
    path = tmp_path / "big.yaml"
    path.write_text(megabyte)
    with pytest.raises(SurveyFileError, match="larger than 256 KB"):
        load_survey_file(path)
    # 256 KB of short items: read by libyaml, refused for holding far too many values.
    items = "id: demo\nlist: [" + ", ".join(["ab"] * (MAX_FILE_BYTES // 5)) + "]\n"
    assert len(items.encode()) <= MAX_FILE_BYTES
    assert refused(items)[0][1] == "more than 30,000 values: no survey is"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("id: demo\nlist: " + "[" * 1000 + "]" * 1000 + "\n", 2),
        ("id: demo\nmap: " + "{a: " * 1000 + "1" + "}" * 1000 + "\n", 2),
        ("[" * MAX_FILE_BYTES, 1),
        # Block style, one space a level: level 21 starts on line 21.
        ("".join(" " * depth + "a:\n" for depth in range(300)), 21),
    ],
    ids=["lists", "mappings", "256 KB of brackets", "indentation"],
)
def test_deep_nesting_is_refused(text: str, line: int) -> None:
    assert refused(text) == [(line, "nested more than 20 levels deep: no survey is")]


def test_files_are_read_as_utf8_and_other_encodings_named(tmp_path: Path) -> None:
    source = SHIPPED_FOLDER / "session-feedback.yaml"
    with_bom = tmp_path / "bom.yaml"
    with_bom.write_bytes(b"\xef\xbb\xbf" + source.read_bytes())
    assert load_survey_file(with_bom) == shipped("session-feedback")
    utf16 = tmp_path / "utf16.yaml"
    utf16.write_bytes(source.read_text().encode("utf-16"))
    with pytest.raises(SurveyFileError) as refused:
        load_survey_file(utf16)
    assert refused.value.problems == [(1, "the file is saved as UTF-16: save it as UTF-8")]
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes("id: demo\npurpose: general\ntitle: Évaluation\n".encode("latin-1"))
    with pytest.raises(SurveyFileError) as refused:
        load_survey_file(latin1)
    assert refused.value.problems == [
        (3, "the file is not UTF-8 text (byte 0xc9): save it as UTF-8")
    ]


# --- generated definitions --------------------------------------------------------------

SLUGS = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,11}", fullmatch=True)
# Not NEL, LS, PS: YAML 1.1 reads them as line breaks, which PyYAML's dumper writes raw
# (and a NEL comes back a space).
CHARACTERS = st.characters(exclude_categories=["Cs"], exclude_characters="\x85\u2028\u2029")
TEXTS = st.text(CHARACTERS, min_size=1, max_size=12)
LOCALIZED = st.one_of(TEXTS, st.fixed_dictionaries({"id": TEXTS, "en": TEXTS}))
KINDS = [kind.value for kind in QuestionType]


def possible(question: dict[str, Any]) -> list[Any]:
    """The answers a generated question can have, worked out from the dict itself."""
    if question["type"] == "scale":
        return list(range(1, question["scale"] + 1))
    if question["type"] == "yes_no":
        return [True, False]
    return [o["value"] for o in question.get("options", [])]


@st.composite
def question_dicts(draw: st.DrawFn, qid: str, kind: str, scored: bool) -> dict[str, Any]:
    question: dict[str, Any] = {"id": qid, "type": kind, "text": draw(LOCALIZED)}
    if draw(st.booleans()):
        question["required"] = False
    if kind == "scale":
        question["scale"] = draw(st.sampled_from([4, 5]))
        if draw(st.booleans()):
            question["labels"] = [draw(LOCALIZED) for _ in range(question["scale"])]
        if question["scale"] == 4 and draw(st.booleans()):
            question["element"] = draw(LOCALIZED)
    elif kind in ("single", "multiple"):
        values = draw(st.lists(SLUGS, min_size=2, max_size=4, unique=True))
        question["options"] = [{"value": v, "text": draw(LOCALIZED)} for v in values]
        if scored:
            size = 1 if kind == "single" else draw(st.integers(1, len(values)))
            question["answer"] = draw(st.permutations(values))[:size]
            question["points"] = draw(st.integers(1, 5))
    elif kind == "text" and draw(st.booleans()):
        question["max_length"] = draw(st.integers(1, 4000))
    elif kind == "number" and draw(st.booleans()):
        low, high = sorted(draw(st.lists(st.integers(-1000, 1000), min_size=2, max_size=2)))
        question["min"], question["max"] = low, high
    if draw(st.booleans()):
        question["per_speaker"] = True
    return question


@st.composite
def definition_dicts(draw: st.DrawFn, min_questions: int = 1) -> dict[str, Any]:
    purpose = draw(st.sampled_from([p.value for p in Purpose]))
    scored = purpose in ("pre_test", "post_test")
    ids = draw(st.lists(SLUGS, min_size=min_questions, max_size=5, unique=True))
    questions: list[dict[str, Any]] = []
    for i, qid in enumerate(ids):
        kind = "single" if scored and i == 0 else draw(st.sampled_from(KINDS))
        question = draw(question_dicts(qid, kind, scored))
        earlier = [
            q
            for q in questions
            if possible(q) and q.get("per_speaker", False) == question.get("per_speaker", False)
        ]
        follow_up = draw(st.booleans())
        if earlier and follow_up:
            target = draw(st.sampled_from(earlier))
            wanted = draw(st.lists(st.sampled_from(possible(target)), min_size=1, unique=True))
            question["show_if"] = {"question": target["id"], "in": wanted}
        questions.append(question)
    definition = {"id": draw(SLUGS), "purpose": purpose, "title": draw(LOCALIZED)}
    if draw(st.booleans()):
        definition["intro"] = draw(LOCALIZED)
    return {**definition, "questions": questions}


def dumped(document: dict[str, Any]) -> str:
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


def as_document(definition: SurveyDefinition) -> dict[str, Any]:
    return definition.model_dump(mode="json", by_alias=True, exclude_none=True)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(definition_dicts())
def test_generated_definitions_load_back_equal(data: dict[str, Any]) -> None:
    expected = SurveyDefinition.model_validate(data)
    assert load_survey_text(dumped(as_document(expected))) == expected


MARK = "zz-mutated-here"


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    definition_dicts(min_questions=2),
    st.sampled_from(["unknown type", "duplicate id", "later show_if", "unknown key"]),
    st.data(),
)
def test_generated_mistakes_are_named_at_the_mutated_line(
    data: dict[str, Any], mutation: str, pick: st.DataObject
) -> None:
    """Each mutation is also made with MARK where the mistake is; the line MARK is dumped
    on is where the mistake must be named."""
    document = as_document(SurveyDefinition.model_validate(data))
    questions = document["questions"]
    last = len(questions) - 1
    k = pick.draw(st.integers(0, last))
    if mutation == "unknown type":
        questions[k]["type"] = MARK
        marked = document
    elif mutation == "duplicate id":  # the last one: no follow-up after it is confused
        marked = copy_with(document, lambda d: d["questions"][last].update(id=MARK))
        questions[last]["id"] = questions[pick.draw(st.integers(0, last - 1))]["id"]
    elif mutation == "later show_if":
        j = pick.draw(st.integers(0, last - 1))
        later = questions[pick.draw(st.integers(j + 1, last))]["id"]
        questions[j]["show_if"] = {"question": later, "in": [1]}
        marked = copy_with(document, lambda d: d["questions"][j]["show_if"].update(question=MARK))
    else:
        (document if pick.draw(st.booleans()) else questions[k])[MARK] = "x"
        marked = document
    expected = next(n for n, line in enumerate(dumped(marked).split("\n"), 1) if MARK in line)
    with pytest.raises(SurveyFileError) as refused:
        load_survey_text(dumped(document))
    assert {p.line for p in refused.value.problems} == {expected}, refused.value.problems


def copy_with(document: dict[str, Any], change: Any) -> dict[str, Any]:
    copied: dict[str, Any] = yaml.safe_load(dumped(document))
    change(copied)
    return copied


# --- the templates in the database ------------------------------------------------------


@pytest.fixture
async def sqlite_sessions(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[SessionMaker]:
    path = tmp_path / "surveys.sqlite3"
    shutil.copyfile(sqlite_template, path)
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    yield session_maker(engine)
    await engine.dispose()


def changed_title(definition: SurveyDefinition, title: str) -> SurveyDefinition:
    return SurveyDefinition.model_validate({**as_document(definition), "title": title})


async def test_templates_are_stored_once_and_an_organisers_own_is_kept(
    sqlite_sessions: SessionMaker,
) -> None:
    async with sqlite_sessions.begin() as session:
        assert await install_shipped(session) == 6
    async with sqlite_sessions.begin() as session:
        assert await install_shipped(session) == 0
        stored = await surveys(session)
        assert [(s.key, s.version, s.shipped) for s in stored] == [
            ("action-plan", 1, True),
            ("evaluation", 1, True),
            ("post-test", 1, True),
            ("pre-test", 1, True),
            ("rtl-followup", 1, True),
            ("session-feedback", 1, True),
        ]
        # An organiser's own evaluation; and the feedback as an older release shipped it.
        await save_survey(session, changed_title(shipped("evaluation"), "Evaluasi Kukar"))
        older = changed_title(shipped("session-feedback"), "Umpan balik (lama)")
        await save_survey(session, older, shipped=True)
    async with sqlite_sessions.begin() as session:
        assert await install_shipped(session) == 1
        evaluation = await latest_survey(session, "evaluation")
        feedback = await latest_survey(session, "session-feedback")
    assert evaluation is not None
    assert not evaluation.shipped
    assert evaluation.parsed().title.id == "Evaluasi Kukar"
    assert feedback is not None
    assert feedback.shipped
    assert feedback.parsed() == shipped("session-feedback")


# --- bimtek survey ----------------------------------------------------------------------


@pytest.fixture
def runner(tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    path = tmp_path / "admin.sqlite3"
    shutil.copyfile(sqlite_template, path)  # migrated already: no command waits for it
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    return CliRunner()


OWN_FEEDBACK = """\
id: kukar-feedback
purpose: session_feedback
title: Umpan balik Bimtek Kukar
questions:
  - id: useful
    type: scale
    scale: 5
    text: Bermanfaat?
  - id: why
    type: text
    text: Mengapa?
    show_if: {question: useful, in: [1, 2]}
"""


def listed(runner: CliRunner) -> list[str]:
    result = runner.invoke(app, ["survey", "list"])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_survey_load_names_each_mistake_as_file_line_message(
    runner: CliRunner, tmp_path: Path
) -> None:
    broken = tmp_path / "rusak.yaml"
    broken.write_text(
        OWN_FEEDBACK.replace("type: text", "type: essay").replace("in: [1, 2]", "in: [1, 9]")
    )
    result = runner.invoke(app, ["survey", "load", str(broken)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{broken}:10: question 'why', 'type': unknown question type 'essay'; the types are "
        "scale, single, multiple, text, number, yes_no",
    ]
    # The type mended, the condition's 9 is named (a scale of 5 has no 9).
    broken.write_text(OWN_FEEDBACK.replace("in: [1, 2]", "in: [1, 9]"))
    result = runner.invoke(app, ["survey", "load", str(broken)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{broken}:12: question 'why': 'useful' cannot be answered 9 (only 1, 2, 3, 4, 5)"
    ]
    assert not any("kukar-feedback" in line for line in listed(runner))


def test_survey_load_stores_versions_and_list_shows_them(runner: CliRunner, tmp_path: Path) -> None:
    own = tmp_path / "umpan-balik.yaml"
    own.write_text(OWN_FEEDBACK)
    dry = runner.invoke(app, ["survey", "load", str(own), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert dry.output == (
        "kukar-feedback: session_feedback, 2 questions; the file is fine "
        "(--dry-run: nothing stored)\n"
    )
    assert not any("kukar-feedback" in line for line in listed(runner))
    first = runner.invoke(app, ["survey", "load", str(own)])
    again = runner.invoke(app, ["survey", "load", str(own)])
    assert first.output == "kukar-feedback: session_feedback, 2 questions; stored as version 1\n"
    assert again.output == "kukar-feedback: session_feedback, 2 questions; unchanged (version 1)\n"

    evaluation = tmp_path / "evaluasi.yaml"
    text = (SHIPPED_FOLDER / "evaluation.yaml").read_text()
    evaluation.write_text(text.replace("Evaluasi penyelenggaraan Bimtek", "Evaluasi Kukar"))
    replaced = runner.invoke(app, ["survey", "load", str(evaluation)])
    assert replaced.output == (
        "evaluation: evaluation, 14 questions; stored as version 1; "
        "it replaces the bot's own template\n"
    )
    assert listed(runner) == [
        "action-plan\tv1\taction_plan\t4 questions\tshipped",
        "evaluation\tv1\tevaluation\t14 questions\tloaded",
        "kukar-feedback\tv1\tsession_feedback\t2 questions\tloaded",
        "post-test\tv1\tpost_test\t10 questions\tshipped",
        "pre-test\tv1\tpre_test\t10 questions\tshipped",
        "rtl-followup\tv1\trtl_followup\t4 questions\tshipped",
        "session-feedback\tv1\tsession_feedback\t3 questions\tshipped",
    ]


def test_demo_stores_the_templates(runner: CliRunner, tmp_path: Path) -> None:
    assert runner.invoke(app, ["demo"]).exit_code == 0

    async def stored() -> list[str]:
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'admin.sqlite3'}")
        try:
            async with session_maker(engine)() as session:
                return [s.key for s in await surveys(session)]
        finally:
            await engine.dispose()

    assert asyncio.run(stored()) == sorted(d.id for d in shipped_definitions())
