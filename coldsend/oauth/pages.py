"""The page the browser lands on after the provider's consent screen."""

from html import escape

from coldsend.oauth.flows import Outcome

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}}
</style></head>
<body><h1>{title}</h1><p>{detail}</p><p>{next}</p></body></html>
"""


def outcome_page(outcome: Outcome) -> str:
    after = (
        "You can close this tab."
        if outcome.connected
        else "You can close this tab and start the connection again from your application."
    )
    return _PAGE.format(title=escape(outcome.title), detail=escape(outcome.detail), next=after)
