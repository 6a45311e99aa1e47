"""The bot's own survey templates (``models/data/surveys/*.yaml``), stored at start-up.

A template an organiser replaced (``bimtek survey load`` of a file with the same id) is
left alone: the organiser's version stays the one used until they load another.
"""

from functools import cache
from importlib import resources

from sqlalchemy.ext.asyncio import AsyncSession

from models.surveys.definition import SurveyDefinition
from models.surveys.loading import load_survey_text
from models.surveys.store import latest_survey, save_survey

# The ids other code looks the templates up by.
SESSION_FEEDBACK = "session-feedback"
EVALUATION = "evaluation"
PRE_TEST = "pre-test"
POST_TEST = "post-test"
ACTION_PLAN = "action-plan"
RTL_FOLLOWUP = "rtl-followup"
SHIPPED = (SESSION_FEEDBACK, EVALUATION, PRE_TEST, POST_TEST, ACTION_PLAN, RTL_FOLLOWUP)


@cache
def _read() -> tuple[SurveyDefinition, ...]:
    folder = resources.files("models").joinpath("data/surveys")
    definitions = []
    for key in SHIPPED:
        definition = load_survey_text(folder.joinpath(f"{key}.yaml").read_text("utf-8"))
        if definition.id != key:
            raise ValueError(f"data/surveys/{key}.yaml holds the survey '{definition.id}'")
        definitions.append(definition)
    return tuple(definitions)


def shipped_definitions() -> list[SurveyDefinition]:
    return list(_read())


async def install_shipped(session: AsyncSession) -> int:
    """Store the templates that are new or changed since the last start; how many were."""
    changed = 0
    for definition in shipped_definitions():
        current = await latest_survey(session, definition.id)
        if current is not None and not current.shipped:
            continue  # an organiser's own version
        _, saved = await save_survey(session, definition, shipped=True)
        changed += saved
    return changed
