"""The links that open the bot with an event's code, as ``bimtek event create`` and
``bimtek demo`` print them: Telegram's t.me link, WhatsApp's wa.me link and its QR code
(printed in the terminal, and saved as a picture on request)."""

import io
from pathlib import Path
from typing import Annotated

import segno
import typer

from handlers.turn import Deployment

QrFile = Annotated[
    Path | None,
    typer.Option(
        "--qr",
        help="save the join link's QR code to this file (.png, .svg...): the WhatsApp link, "
        "or the Telegram link without a WhatsApp number",
        dir_okay=False,
    ),
]


def print_join_links(deployment: Deployment, code: str, qr_file: Path | None) -> None:
    telegram = deployment.start_link(code)
    whatsapp = deployment.whatsapp_link(code)
    typer.echo(f"Telegram: {telegram or f't.me/<bot>?start={code} (set TELEGRAM_BOT_USERNAME)'}")
    if whatsapp is None:
        typer.echo("WhatsApp: set WHATSAPP_DISPLAY_NUMBER for a wa.me link")
    else:
        typer.echo(f"WhatsApp: {whatsapp}")
        shown = io.StringIO()
        segno.make(whatsapp, error="m").terminal(out=shown, compact=True)
        typer.echo(shown.getvalue())
    if qr_file is None:
        return
    link = whatsapp or telegram
    if link is None:
        typer.echo(
            "no QR code: set WHATSAPP_DISPLAY_NUMBER or TELEGRAM_BOT_USERNAME first", err=True
        )
        raise typer.Exit(2)
    try:
        segno.make(link, error="m").save(str(qr_file), scale=8)
    except (OSError, ValueError) as exc:
        typer.echo(f"cannot save the QR code to {qr_file}: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"QR code of {link} saved to {qr_file}")
