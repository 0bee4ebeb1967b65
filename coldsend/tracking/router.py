"""Open pixel, click redirect and unsubscribe: the URLs inside sent emails, reached without an API key.

They are not operations of the Instantly spec, so they stay out of the OpenAPI document and carry no
operation id. A token that does not verify is a 404, and a click never redirects anywhere unsigned.
"""

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.clock import utcnow
from coldsend.config import Settings
from coldsend.db.session import session_scope
from coldsend.errors import NotFound
from coldsend.tracking import pages, tokens
from coldsend.tracking import service as tracking_service
from coldsend.tracking.service import TrackedSend

router = APIRouter(include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store, max-age=0", "X-Robots-Tag": "noindex"}
MAX_URL_LENGTH = 8192


async def _write_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A transaction even for GET: loading a pixel or following a link writes events."""
    async with session_scope(request.app.state.sessionmaker) as session:
        yield session


WriteSession = Annotated[AsyncSession, Depends(_write_session, scope="function")]  # commit before replying


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _repeat_after(request: Request) -> timedelta:
    return timedelta(seconds=_settings(request).tracking_repeat_seconds)


async def _verified_send(
    request: Request, session: AsyncSession, purpose: bytes, token: str, target: str = ""
) -> TrackedSend | None:
    """The send a token names (None if it is gone since); NotFound if the token does not verify."""
    send_id = tokens.verify_token(_settings(request), purpose, token, target)
    if send_id is None:
        raise NotFound()
    return await tracking_service.get_send(session, send_id)


async def _send(request: Request, session: AsyncSession, purpose: bytes, token: str) -> TrackedSend:
    send = await _verified_send(request, session, purpose, token)
    if send is None:
        raise NotFound()
    return send


@router.get(tokens.OPEN_PATH + "/{token}")
async def track_open(token: str, request: Request, session: WriteSession) -> Response:
    send = await _send(request, session, tokens.Purpose.OPEN, token)
    await tracking_service.record_open(session, send, now=utcnow(), repeat_after=_repeat_after(request))
    return Response(pages.TRANSPARENT_GIF, media_type="image/gif", headers=NO_STORE)


@router.get(tokens.CLICK_PATH + "/{token}")
async def track_click(token: str, request: Request, session: WriteSession, url: str = "") -> Response:
    if not url or len(url) > MAX_URL_LENGTH or not url.lower().startswith(("http://", "https://")):
        raise NotFound()
    send = await _verified_send(request, session, tokens.Purpose.CLICK, token, url)
    if send is not None:  # a deleted lead's link still leads where the email said
        await tracking_service.record_click(
            session, send, url=url, now=utcnow(), repeat_after=_repeat_after(request)
        )
    return RedirectResponse(url, status_code=302, headers=NO_STORE)


@router.get(tokens.UNSUBSCRIBE_PATH + "/{token}")
async def unsubscribe_page(token: str, request: Request, session: WriteSession) -> HTMLResponse:
    send = await _send(request, session, tokens.Purpose.UNSUBSCRIBE, token)
    lead = await tracking_service.get_lead(session, send)
    return HTMLResponse(pages.confirm_page(lead.email if lead else None), headers=NO_STORE)


@router.post(tokens.UNSUBSCRIBE_PATH + "/{token}")
async def unsubscribe(token: str, request: Request, session: WriteSession) -> HTMLResponse:
    """RFC 8058 one-click (the mailbox provider POSTs `List-Unsubscribe=One-Click`) and the page's form."""
    send = await _send(request, session, tokens.Purpose.UNSUBSCRIBE, token)
    await tracking_service.unsubscribe(session, send, now=utcnow())
    return HTMLResponse(pages.done_page(), headers=NO_STORE)
