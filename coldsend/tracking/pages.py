"""The small HTML pages a recipient sees, and the open pixel."""

import base64
from html import escape

TRANSPARENT_GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}}
button{{font-size:1rem;padding:.5rem 1.25rem;cursor:pointer}}</style></head>
<body><h1>{title}</h1>{content}</body></html>
"""


def _page(title: str, content: str) -> str:
    return _PAGE.format(title=escape(title), content=content)


def confirm_page(email: str | None) -> str:
    """GET shows a form and changes nothing: link scanners fetch URLs, only a person submits the form."""
    who = f" <strong>{escape(email)}</strong>" if email else ""
    return _page(
        "Unsubscribe",
        f"<p>Stop receiving these emails at{who}?</p>"
        '<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">'
        '<button type="submit">Unsubscribe</button></form>',
    )


def done_page() -> str:
    return _page("You are unsubscribed", "<p>You will not receive further emails from this sender.</p>")
