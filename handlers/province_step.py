"""The province question, shared by registration and profile changes: the official 38 a
page at a time (a WhatsApp list holds 10 rows), or typed, in Indonesian or English, in
full or in part ("Kalimantan" offers the five Kalimantan provinces)."""

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from pydantic import BaseModel

from handlers.flow import Prompt, Step, UnknownChoiceError, ask, show
from handlers.turn import Option, Turn
from models.provinces import Province, all_provinces, find_provinces

PER_PAGE = 8  # with the two page buttons, 10 rows
PAGE = "page:"


class ProvincePage(BaseModel):
    """The part of a flow's state the province question needs."""

    province_page: int = 0


P = TypeVar("P", bound=ProvincePage)
Wording = Callable[[Turn, P, str], Awaitable[str]]


class ProvinceStep(Step[P], Generic[P]):
    name = "province"
    takes_text = True  # a typed name or number is searched, not only matched to a button

    def __init__(
        self,
        on_answer: Callable[[Turn, P, str], Awaitable[None]],
        wording: Wording[P] | None = None,
    ) -> None:
        self._on_answer = on_answer
        self._wording = wording

    @staticmethod
    def pages() -> int:
        return (len(all_provinces()) + PER_PAGE - 1) // PER_PAGE

    async def prompt(self, turn: Turn, state: P) -> Prompt:
        t = turn.t
        provinces = all_provinces()
        page = min(max(state.province_page, 0), self.pages() - 1)
        first = page * PER_PAGE
        # Each province keeps its number in the official list on every page, so a
        # number typed from any page means the same province.
        options = [
            Option(p.name, p.name, number=first + i)
            for i, p in enumerate(provinces[first : first + PER_PAGE], 1)
        ]
        if page > 0:
            options.append(Option(f"{PAGE}{page - 1}", t("nav.previous"), number=0))
        if page < self.pages() - 1:
            options.append(Option(f"{PAGE}{page + 1}", t("nav.next"), number=0))
        text = t("ask.province", page=page + 1, pages=self.pages())
        if self._wording is not None:
            text = await self._wording(turn, state, text)
        return Prompt(text, options)

    async def on_choice(self, turn: Turn, state: P, value: str) -> None:
        page = value.removeprefix(PAGE)
        if page != value:
            if not (page.isascii() and page.isdigit() and int(page) < self.pages()):
                raise UnknownChoiceError(value)
            state.province_page = int(page)
            await show(turn, self)
            return
        found = find_provinces(value)
        if len(found) != 1 or found[0].name != value:
            raise UnknownChoiceError(value)
        await self._on_answer(turn, state, value)

    async def on_text(self, turn: Turn, state: P, text: str) -> None:
        typed = text.strip().rstrip(".")
        provinces = all_provinces()
        if typed.isascii() and typed.isdigit() and 1 <= int(typed) <= len(provinces):
            await self._on_answer(turn, state, provinces[int(typed) - 1].name)
            return
        found = find_provinces(text)
        if len(found) == 1:
            await self._on_answer(turn, state, found[0].name)
        elif found:
            self._offer(turn, found)
        else:
            turn.say("invalid.province")
            await show(turn, self)

    def _offer(self, turn: Turn, found: list[Province]) -> None:
        """The provinces a part of a name fits, to pick from."""
        numbers = {p.name: i for i, p in enumerate(all_provinces(), 1)}
        options = [Option(p.name, p.name, number=numbers[p.name]) for p in found[:PER_PAGE]]
        ask(turn, Prompt(turn.t("province.which", count=len(found)), options))
