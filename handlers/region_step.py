"""The question "participants from where?" of an announcement: the provinces and regencies
an event's participants come from as buttons (most people first), or one typed: a regency
as the participants wrote it (or a part of its name), a province by its name or short
form ("Kaltim")."""

import hashlib
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from pydantic import BaseModel

from handlers.flow import Prompt, Step, UnknownChoiceError, ask, show
from handlers.turn import Option, Turn, short_label
from models.audience import InRegion, Region, regions_of
from models.provinces import find_provinces
from models.roles import name_key

REGION_BUTTONS = 8  # with room left in a WhatsApp list
PROVINCE, REGENCY = "p:", "r:"


class RegionPage(BaseModel):
    """The part of a flow's state the region question needs."""

    event_id: int | None = None


R = TypeVar("R", bound=RegionPage)


def tag(name: str) -> str:
    """A short, stable stand-in for a place's name in a button: names can be longer than
    a button's payload holds, and a place's rank changes as people register."""
    return hashlib.sha256(name_key(name).encode()).hexdigest()[:8]


def region_value(region: Region) -> str:
    if region.regency:
        return REGENCY + tag(region.regency)
    return PROVINCE + tag(region.province or "")


def as_audience(region: Region) -> InRegion:
    return InRegion(province=region.province, regency=region.regency)


class RegionStep(Step[R], Generic[R]):
    name = "region"
    takes_text = True

    def __init__(self, on_answer: Callable[[Turn, R, InRegion], Awaitable[None]]) -> None:
        self._on_answer = on_answer

    async def regions(self, turn: Turn, state: R) -> list[Region]:
        return await regions_of(turn.session, state.event_id) if state.event_id else []

    async def prompt(self, turn: Turn, state: R) -> Prompt:
        t = turn.t
        options = [
            Option(
                region_value(r),
                short_label(t("broadcast.region_option", place=place, count=r.people)),
            )
            for r in (await self.regions(turn, state))[:REGION_BUTTONS]
            if (place := r.regency or r.province)
        ]
        return Prompt(t("broadcast.ask_region"), options)

    async def on_choice(self, turn: Turn, state: R, value: str) -> None:
        found = [r for r in await self.regions(turn, state) if region_value(r) == value]
        if not found:
            raise UnknownChoiceError(value)
        await self._on_answer(turn, state, as_audience(found[0]))

    async def on_text(self, turn: Turn, state: R, text: str) -> None:
        typed = name_key(text)
        regencies = [r for r in await self.regions(turn, state) if r.regency]
        exact = [r for r in regencies if name_key(r.regency or "") == typed]
        partial = [r for r in regencies if typed and typed in name_key(r.regency or "")]
        fitting = exact or partial
        if len(fitting) == 1:
            await self._on_answer(turn, state, as_audience(fitting[0]))
            return
        if fitting:  # "Kutai": Kutai Kartanegara, Kutai Barat, Kutai Timur
            options = [
                Option(region_value(r), short_label(r.regency or ""))
                for r in fitting[:REGION_BUTTONS]
            ]
            ask(turn, Prompt(turn.t("broadcast.region_which", count=len(fitting)), options))
            return
        provinces = find_provinces(text)
        if len(provinces) == 1:
            await self._on_answer(turn, state, InRegion(province=provinces[0].name))
            return
        turn.say("broadcast.region_unknown", typed=text.strip()[:80])
        await show(turn, self)
