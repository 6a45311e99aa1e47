"""Survey files: YAML read into a ``SurveyDefinition``, every mistake named with its line.

Organisers write these files by hand, so a refusal must say where and what: the YAML is
composed into nodes (which keep their lines) before it becomes data, pydantic's error
locations are followed back through the nodes, and the checks across questions
(duplicate ids, follow-ups) are made again here for every question rather than stopping
at the first. What a hostile file could cost is cut short while composing: anchors and
aliases (the "billion laughs"), deep nesting, anything over 256 KB.
"""

import re
from collections.abc import Callable, Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any, NamedTuple, get_args

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from models.surveys.definition import (
    SCORED,
    Purpose,
    QuestionDef,
    QuestionType,
    SurveyDefinition,
)

MAX_FILE_BYTES = 256 * 1024
MAX_DEPTH = 20  # mappings and lists inside each other; a survey needs 6
MAX_NODES = 30_000  # keys and values; 60 questions of 20 options need about 15,000


class Problem(NamedTuple):
    line: int  # 1 for the file as a whole
    message: str


class SurveyFileError(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(f"line {p.line}: {p.message}" for p in problems))
        self.problems = problems


class _RefusedError(Exception):
    """A mistake that stops the reading at once."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.problem = Problem(line, message)


def load_survey_file(path: str | Path) -> SurveyDefinition:
    """The survey in the UTF-8 file at ``path``."""
    try:
        with Path(path).open("rb") as f:
            content = f.read(MAX_FILE_BYTES + 1)  # enough to know it is too big
    except OSError as exc:
        raise SurveyFileError([Problem(1, f"cannot read the file: {exc.strerror}")]) from None
    return load_survey_text(_decoded(content))


def _decoded(content: bytes) -> str:
    if len(content) > MAX_FILE_BYTES:
        raise SurveyFileError([_too_big()])
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SurveyFileError([Problem(1, "the file is saved as UTF-16: save it as UTF-8")])
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        byte = content[exc.start]
        message = f"the file is not UTF-8 text (byte 0x{byte:02x}): save it as UTF-8"
        raise SurveyFileError([Problem(line, message)]) from None


def _too_big() -> Problem:
    return Problem(1, f"the file is larger than {MAX_FILE_BYTES // 1024} KB: no survey is")


def load_survey_text(text: str) -> SurveyDefinition:
    """The survey ``text`` defines; ``SurveyFileError`` names every mistake found."""
    if len(text) > MAX_FILE_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise SurveyFileError([_too_big()])
    try:
        root, data = _parsed(text)
    except _RefusedError as refused:
        raise SurveyFileError([refused.problem]) from None
    if not isinstance(root, yaml.MappingNode) or not isinstance(data, dict):
        raise SurveyFileError([Problem(1, _not_a_mapping(data))])
    problems = list(_duplicate_keys(root))
    try:
        SurveyDefinition.model_validate(data)
        field_errors: list[ErrorDetails] = []
    except ValidationError as exc:
        field_errors = exc.errors()
    # Errors of the whole definition (loc ()) come only when every field is valid, and
    # stop at the first: the same checks are made again below, for every question.
    problems += _field_problems(root, data, [e for e in field_errors if e["loc"]])
    problems += _across_questions(root, data)
    if not problems:
        try:
            return SurveyDefinition.model_validate(data)
        except ValidationError as exc:  # a check not made again here: placed as well as can be
            problems = [_placed(root, data, str(e["msg"])) for e in exc.errors()]
    raise SurveyFileError(sorted(dict.fromkeys(problems), key=lambda p: p.line))


def _not_a_mapping(data: Any) -> str:
    if data is None:
        return "the file is empty: a survey starts with 'id:', 'purpose:', 'title:', 'questions:'"
    return (
        "a survey file is a mapping of keys ('id:', 'purpose:', 'title:', 'questions:'), "
        f"not {_described(data)}"
    )


# --- YAML -------------------------------------------------------------------------------


# libyaml where PyYAML was built with it: pure Python takes seconds over a 256 KB file of
# short items, libyaml a tenth of one. Either way nodes are composed here, from events.
_Loader: type[yaml.CSafeLoader] | type[yaml.SafeLoader] = getattr(
    yaml, "CSafeLoader", yaml.SafeLoader
)
_BRACKETS = re.compile(r"[\[\]{}]")
_DEEP = f"nested more than {MAX_DEPTH} levels deep: no survey is"


def _parsed(text: str) -> tuple[yaml.Node | None, Any]:
    _refuse_unprintable(text)
    _refuse_deep_brackets(text)
    loader = _Loader(text)
    try:
        root = _Composer(loader).document()
        return root, (loader.construct_document(root) if root is not None else None)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise _RefusedError(mark.line + 1 if mark else 1, _yaml_message(exc)) from None
    finally:
        loader.dispose()


def _refuse_unprintable(text: str) -> None:
    found = yaml.reader.Reader.NON_PRINTABLE.search(text)
    if found is not None:
        line = text.count("\n", 0, found.start()) + 1
        code = ord(found.group())
        raise _RefusedError(line, f"a character YAML does not allow (#x{code:04x}): remove it")


def _refuse_deep_brackets(text: str) -> None:
    """'[' or '{' nested too deep, refused before the parser meets them: PyYAML's own
    scanner, unsure whether each '[' opens a key, reads ahead over all of them for each
    (1,000 cost half a second). Brackets inside quoted text count too: no survey text has
    twenty of them unclosed."""
    depth = 0
    for found in _BRACKETS.finditer(text):
        depth = depth + 1 if found.group() in "[{" else max(depth - 1, 0)
        if depth > MAX_DEPTH:
            raise _RefusedError(text.count("\n", 0, found.start()) + 1, _DEEP)


class _Composer:
    """YAML events to nodes (which keep their lines), refusing anchors, aliases and deep
    nesting as they come."""

    def __init__(self, loader: yaml.CSafeLoader | yaml.SafeLoader) -> None:
        self.loader = loader
        self.nodes = 0

    def document(self) -> yaml.Node | None:
        self.loader.get_event()  # the stream's start
        if isinstance(self.loader.peek_event(), yaml.StreamEndEvent):
            return None
        self.loader.get_event()  # the document's start
        root = self.node(1)
        self.loader.get_event()  # the document's end
        after = self.loader.peek_event()
        if not isinstance(after, yaml.StreamEndEvent):
            raise _RefusedError(_line(after), "a second document ('---'): one survey per file")
        return root

    def node(self, depth: int) -> yaml.Node:
        # Any: the C and the Python parser's events and marks have types of their own.
        event: Any = self.loader.get_event()
        start: Any = event.start_mark
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _RefusedError(_line(event), f"more than {MAX_NODES:,} values: no survey is")
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            message = "anchors and aliases ('&' and '*') are not allowed: write it out"
            raise _RefusedError(_line(event), message)
        if isinstance(event, yaml.ScalarEvent):
            tag = self.tag(yaml.ScalarNode, event.tag, event.value, event.implicit)
            end_mark: Any = event.end_mark
            return yaml.ScalarNode(tag, event.value, start, end_mark, style=event.style)
        if depth > MAX_DEPTH:
            raise _RefusedError(_line(event), _DEEP)
        if isinstance(event, yaml.SequenceStartEvent):
            tag = self.tag(yaml.SequenceNode, event.tag, None, event.implicit)
            items = []
            while not isinstance(self.loader.peek_event(), yaml.SequenceEndEvent):
                items.append(self.node(depth + 1))
            end: Any = self.loader.get_event()
            return yaml.SequenceNode(tag, items, start, end.end_mark, flow_style=event.flow_style)
        assert isinstance(event, yaml.MappingStartEvent)
        tag = self.tag(yaml.MappingNode, event.tag, None, event.implicit)
        pairs = []
        while not isinstance(self.loader.peek_event(), yaml.MappingEndEvent):
            key = self.node(depth + 1)
            pairs.append((key, self.node(depth + 1)))
        end = self.loader.get_event()
        return yaml.MappingNode(tag, pairs, start, end.end_mark, flow_style=event.flow_style)

    def tag(self, kind: type[yaml.Node], tag: str | None, value: str | None, implicit: Any) -> str:
        if tag is not None and tag != "!":
            return tag
        resolve: Callable[..., str] = self.loader.resolve
        return resolve(kind, value, implicit)


def _yaml_message(exc: yaml.MarkedYAMLError) -> str:
    said = "; ".join(part for part in (exc.context, exc.problem) if part)
    hint = ": indent with spaces, not tabs" if "\\t" in said or " tab " in said else ""
    return f"not valid YAML: {said}{hint}"


def _duplicate_keys(node: yaml.Node) -> Iterator[Problem]:
    """Keys given twice in one mapping: YAML would silently keep the last."""
    if isinstance(node, yaml.MappingNode):
        first: dict[tuple[str, str], int] = {}
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                line = key.start_mark.line + 1
                earlier = first.setdefault((key.tag, key.value), line)
                if earlier != line:
                    yield Problem(line, f"'{key.value}' is given twice (also on line {earlier})")
            yield from _duplicate_keys(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _duplicate_keys(item)


def _line(node: Any) -> int:
    """The line a node or an event starts on, counted from 1."""
    return int(node.start_mark.line) + 1 if node is not None else 1


class _Reached(NamedTuple):
    node: yaml.Node  # the deepest node the location leads to
    key: yaml.Node | None  # the key of that node, when it is a mapping's value
    path: tuple[str | int, ...]  # the part of the location followed


def _follow(root: yaml.Node, loc: tuple[str | int, ...]) -> _Reached:
    node, key_node, path = root, None, tuple[str | int, ...]()
    for item in loc:
        found: tuple[yaml.Node | None, yaml.Node] | None = None
        if isinstance(node, yaml.MappingNode):
            # The last of equal keys: the one the data holds.
            matches = [(k, v) for k, v in node.value if getattr(k, "value", None) == str(item)]
            found = matches[-1] if matches else None
        elif isinstance(node, yaml.SequenceNode) and isinstance(item, int):
            found = (None, node.value[item]) if 0 <= item < len(node.value) else None
        if found is None:
            break
        key_node, node = found
        path = (*path, item)
    return _Reached(node, key_node, path)


# --- pydantic's errors, in words --------------------------------------------------------

_KINDS = {
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "string_type": "text",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping of keys",
    "model_type": "a mapping of keys",
    "model_attributes_type": "a mapping of keys",
}


def _field_problems(root: yaml.Node, data: Any, errors: list[ErrorDetails]) -> list[Problem]:
    """One problem per place: a value that fits none of a union's types gives one error
    for each type, and they are said together."""
    grouped: dict[tuple[int, tuple[str | int, ...], str], list[ErrorDetails]] = {}
    for error in errors:
        loc = tuple(error["loc"])
        reached = _follow(root, loc)
        if error["type"] == "extra_forbidden" and reached.key is not None:
            line, path = _line(reached.key), reached.path
        else:
            line, path = _line(reached.node), reached.path
            if error["type"] == "missing":
                path = loc[: len(reached.path) + 1]
        grouped.setdefault((line, path, error["type"] if path == loc else ""), []).append(error)
    return [
        Problem(line, _said(data, path, found, _node_text(root, path)))
        for (line, path, _), found in grouped.items()
    ]


def _node_text(root: yaml.Node, path: tuple[str | int, ...]) -> str | None:
    reached = _follow(root, path)
    return str(reached.node.value) if isinstance(reached.node, yaml.ScalarNode) else None


def _said(
    data: Any, path: tuple[str | int, ...], errors: list[ErrorDetails], raw: str | None
) -> str:
    error = errors[0]
    kind, value = error["type"], error.get("input")
    if kind in ("missing", "extra_forbidden", "invalid_key"):
        place, key = _where(data, path[:-1]), path[-1]
        if kind == "missing":
            said = f"'{key}' is missing"
        elif kind == "invalid_key":
            said = f"keys are words such as 'id' or 'text', not {key}"
        else:
            said = f"unknown key '{key}'; the keys here are {_keys_at(path[:-1])}"
        return f"{place}: {said}" if place else said
    place = _where(data, path)
    prefix = f"{place}: " if place else ""
    if kind == "enum" and path[-1:] == ("type",):
        types = ", ".join(t.value for t in QuestionType)
        return f"{prefix}unknown question type {_described(value)}; the types are {types}"
    if kind == "enum" and path == ("purpose",):
        purposes = ", ".join(p.value for p in Purpose)
        return f"unknown purpose {_described(value)}; the purposes are {purposes}"
    if kind == "string_pattern_mismatch":
        return (
            f"{prefix}{_described(value)} is not an id: lowercase letters a-z, digits, "
            "'-' and '_', starting with a letter or digit, at most 40"
        )
    if kind == "value_error":
        return prefix + str(error["msg"]).removeprefix("Value error, ")
    wanted = [_KINDS.get(e["type"]) for e in errors]
    if all(wanted):
        said = f"{prefix}should be {_either(list(dict.fromkeys(w for w in wanted if w)))}"
        said += f", not {_described(value)}"
        if isinstance(value, bool) and "text" in wanted and raw is not None:
            said += f" (YAML reads {raw} as {str(value).lower()}: write '{raw}' in quotes)"
        return said
    message = re.sub(r"^(Input|String|List|Value) should", "should", str(error["msg"]))
    if kind == "literal_error":
        message += f", not {_described(value)}"
    return f"{prefix}{message[:1].lower()}{message[1:]}"


def _either(kinds: list[str]) -> str:
    return kinds[0] if len(kinds) == 1 else f"{', '.join(kinds[:-1])} or {kinds[-1]}"


def _described(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "a mapping of keys"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    return f"'{text[:40]}…'" if len(text) > 40 else f"'{text}'"


def _where(data: Any, path: tuple[str | int, ...]) -> str:
    """``path`` in words: "question 'useful', 'labels', item 2"."""
    words: list[str] = []
    node = data
    for i, item in enumerate(path):
        parent = path[i - 1] if i else None
        if isinstance(item, int):
            node = node[item] if isinstance(node, list) and item < len(node) else None
            if parent == "questions":
                qid = node.get("id") if isinstance(node, dict) else None
                named = f"'{qid}'" if isinstance(qid, str) else str(item + 1)
                words[-1:] = [f"question {named}"]
            elif parent == "options":
                words[-1:] = [f"option {item + 1}"]
            else:
                words.append(f"item {item + 1}")
        else:
            node = node.get(item) if isinstance(node, dict) else None
            words.append(f"'{item}'")
    return ", ".join(words)


def _keys_at(path: tuple[str | int, ...]) -> str:
    model: type[BaseModel] | None = SurveyDefinition
    for item in path:
        if isinstance(item, int) or model is None:
            continue
        field = next((f for name, f in model.model_fields.items() if item in (name, f.alias)), None)
        model = _model_in(field.annotation) if field is not None else None
    if model is None:
        return "(none)"
    return ", ".join(f.alias or name for name, f in model.model_fields.items())


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _placed(root: yaml.Node, data: Any, message: str) -> Problem:
    """A whole-definition error at the first question its message names, or line 1."""
    message = message.removeprefix("Value error, ")
    questions = data.get("questions") if isinstance(data, dict) else None
    for named in re.findall(r"'([a-z0-9][a-z0-9_-]*)'", message):
        for i, item in enumerate(questions if isinstance(questions, list) else []):
            if isinstance(item, dict) and item.get("id") == named:
                return Problem(_line(_follow(root, ("questions", i)).node), message)
    return Problem(1, message)


# --- across questions -------------------------------------------------------------------


def _across_questions(root: yaml.Node, data: dict[Any, Any]) -> list[Problem]:
    """The definition's own checks across questions, for every question: duplicate ids,
    follow-ups, answer keys and the purpose. Questions with mistakes of their own are
    left out (those are named already)."""
    raw = data.get("questions")
    if not isinstance(raw, list):
        return []
    problems: list[Problem] = []

    def at(i: int, *path: str | int) -> int:
        return _line(_follow(root, ("questions", i, *path)).node)

    ids = [item.get("id") if isinstance(item, dict) else None for item in raw]
    valid: dict[int, QuestionDef] = {}
    for i, item in enumerate(raw):
        with suppress(ValidationError):
            valid[i] = QuestionDef.model_validate(item)
    first: dict[str, int] = {}
    asked: dict[str, QuestionDef] = {}
    for i, qid in enumerate(ids):
        if isinstance(qid, str) and qid in first:
            message = f"two questions with the id '{qid}' (the first on line {at(first[qid])})"
            problems.append(Problem(at(i, "id"), message))
        question = valid.get(i)
        if question is not None and question.show_if is not None:
            problems += _condition_problems(question, i, ids, first, asked, at)
        if isinstance(qid, str):
            first.setdefault(qid, i)
        if question is not None:
            asked[question.id] = question
    problems += _key_problems(data.get("purpose"), raw, valid, root)
    return problems


def _condition_problems(
    question: QuestionDef,
    i: int,
    ids: list[Any],
    first: dict[str, int],
    asked: dict[str, QuestionDef],
    at: Callable[..., int],
) -> list[Problem]:
    condition = question.show_if
    assert condition is not None
    target, name = condition.question, f"question '{question.id}'"
    if target not in first:
        if target == question.id:
            said = "'show_if' names the question itself"
        elif target in ids[i:]:
            said = (
                f"'show_if' names '{target}', which comes after it: a follow-up comes after "
                "the question it depends on"
            )
        else:
            said = f"'show_if' names '{target}', but no question has that id"
        return [Problem(at(i, "show_if", "question"), f"{name}: {said}")]
    earlier = asked.get(target)
    if earlier is None:  # it has mistakes of its own
        return []
    if earlier.per_speaker != question.per_speaker:
        said = (
            f"'{earlier.id}' is{'' if earlier.per_speaker else ' not'} per speaker: a "
            "follow-up and its question are both per speaker or neither"
        )
        return [Problem(at(i, "show_if"), f"{name}: {said}")]
    possible = earlier.possible()
    if possible is None:
        said = (
            f"'show_if' names '{earlier.id}', a {earlier.type.value} question with free "
            "answers: a follow-up depends on a scale, choice or yes_no question"
        )
        return [Problem(at(i, "show_if", "question"), f"{name}: {said}")]
    problems = []
    for j, wanted in enumerate(condition.in_):
        if not any((type(wanted), wanted) == (type(p), p) for p in possible):
            answers = ", ".join(_answer(p) for p in possible)
            said = f"'{earlier.id}' cannot be answered {_answer(wanted)} (only {answers})"
            problems.append(Problem(at(i, "show_if", "in", j), f"{name}: {said}"))
    return problems


def _answer(value: int | str | bool) -> str:
    """An answer as written in YAML; text quoted, so that '1' is not taken for 1."""
    if isinstance(value, bool):
        return str(value).lower()
    return f"'{value}'" if isinstance(value, str) else str(value)


def _key_problems(
    purpose: Any, raw: list[Any], valid: dict[int, QuestionDef], root: yaml.Node
) -> list[Problem]:
    """Answer keys where the purpose wants them, and only there."""
    if purpose not in {p.value for p in Purpose}:
        return []  # named already
    if Purpose(purpose) in SCORED:
        if len(valid) == len(raw) and not any(q.scored for q in valid.values()):
            line = _line(_follow(root, ("purpose",)).node)
            return [Problem(line, "a test needs at least one question with an 'answer' key")]
        return []
    return [
        Problem(
            _line(_follow(root, ("questions", i, "answer")).key or root),
            f"question '{q.id}': answer keys are for pre-tests and post-tests only",
        )
        for i, q in valid.items()
        if q.scored
    ]
