"""``/dasbor`` (``/dashboard``): a one-time link to the organisers' web dashboard, for
organisers of the event being looked at and admins, as the chat's other organiser
commands decide it. The link works once, for 10 minutes (models.dashboard); the pages
check the person's role for every event they show."""

from handlers.registry import Command, Feature
from handlers.staff import staff_event
from handlers.turn import Turn
from models import RoleName
from models.dashboard import mint_link, sign_in_url


async def dashboard_link(turn: Turn) -> None:
    # An admin needs no event in view: the pages list every event for them.
    if not turn.is_admin and await staff_event(turn, RoleName.ORGANIZER) is None:
        return
    base = turn.deployment.public_base_url
    if not base:
        turn.say("dasbor.no_address")
        return
    token = await mint_link(turn.session, turn.person_id, turn.now)
    turn.say("dasbor.link", link=sign_in_url(base, token))


FEATURE = Feature(
    commands=(
        Command(
            "dashboard",
            {"id": "dasbor", "en": "dashboard"},
            dashboard_link,
            order=76,
            needs=RoleName.ORGANIZER,
        ),
    ),
)
