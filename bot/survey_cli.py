"""``bimtek survey``: survey files loaded from the command line, and the surveys stored."""

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli_common import in_session
from bot.survey_results_cli import results
from models.surveys.loading import SurveyFileError, load_survey_file
from models.surveys.shipped import install_shipped
from models.surveys.store import Survey, latest_survey, save_survey, surveys

survey_app = typer.Typer(
    help="Surveys, tests and action plans: load a YAML file, list the stored ones.",
    no_args_is_help=True,
)


@survey_app.command("load")
def survey_load(
    file: Annotated[Path, typer.Argument(help="the survey, a YAML file", dir_okay=False)],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="only check the file; store nothing")
    ] = False,
) -> None:
    """Check the survey in FILE and store it under its id: a survey no round has used yet
    is replaced, one already sent gets a new version. A file with the id of one of the
    bot's templates replaces that template. Every mistake is printed as FILE:LINE:
    message, and nothing is stored (exit code 1)."""
    try:
        definition = load_survey_file(file)
    except SurveyFileError as exc:
        for problem in exc.problems:
            typer.echo(f"{file}:{problem.line}: {problem.message}", err=True)
        raise typer.Exit(1) from None
    count = len(definition.questions)
    summary = f"{definition.id}: {definition.purpose.value}, {count} questions"
    if dry_run:
        typer.echo(f"{summary}; the file is fine (--dry-run: nothing stored)")
        return

    async def go(session: AsyncSession) -> tuple[Survey, bool, bool]:
        before = await latest_survey(session, definition.id)
        was_shipped = before is not None and before.shipped  # read before saving changes it
        survey, changed = await save_survey(session, definition)
        return survey, changed, was_shipped

    survey, changed, was_shipped = asyncio.run(in_session(go))
    if not changed:
        typer.echo(f"{summary}; unchanged (version {survey.version})")
        return
    replaced = "; it replaces the bot's own template" if was_shipped else ""
    typer.echo(f"{summary}; stored as version {survey.version}{replaced}")


survey_app.command("results")(results)


@survey_app.command("list")
def survey_list() -> None:
    """The stored surveys, the newest version of each: id, version, purpose, number of
    questions, and whether it is one of the bot's templates (shipped) or an organiser's
    file (loaded)."""

    async def go(session: AsyncSession) -> list[Survey]:
        # A database the bot has not started on yet lists the templates all the same.
        await install_shipped(session)
        return await surveys(session)

    for survey in asyncio.run(in_session(go)):
        origin = "shipped" if survey.shipped else "loaded"
        typer.echo(
            f"{survey.key}\tv{survey.version}\t{survey.purpose}\t"
            f"{len(survey.parsed().questions)} questions\t{origin}"
        )
