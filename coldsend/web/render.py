"""Templates (Jinja2, autoescaped) and the responses pages give."""

from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from coldsend.clock import iso_z
from coldsend.mail.html_text import html_to_text

PACKAGE = Path(__file__).parent
STATIC = PACKAGE / "static"

environment = Environment(
    loader=FileSystemLoader(PACKAGE / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _moment(value: Any) -> str:
    if value is None or value == "":
        return ""
    text = value if isinstance(value, str) else iso_z(value)
    return text[:16].replace("T", " ")


def _mail_text(body: Any) -> str:
    """An email's body as plain text: its text part, else its HTML reduced to text (never rendered)."""
    body = body or {}
    return str(body.get("text") or html_to_text(body.get("html") or ""))


environment.filters["moment"] = _moment
environment.filters["mail_text"] = _mail_text


def page(template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(environment.get_template(template).render(**context), status_code=status)


def redirect(to: str) -> RedirectResponse:
    """After a form: the browser GETs `to` (303, so a reload does not post again)."""
    return RedirectResponse(to, status_code=303)
