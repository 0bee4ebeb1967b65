"""One send row → the message that goes out: the chosen variant rendered for the lead, threaded under
the lead's earlier steps, with unsubscribe headers, tracking and DKIM as the campaign and account ask."""

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend import encryption as secrets
from coldsend.campaigns.sequences import Sequence
from coldsend.config import Settings
from coldsend.leads.variables import lead_variables
from coldsend.mail.message import DkimKey, OutgoingMessage, build_message, requires_smtputf8
from coldsend.mail.render import RenderedCopy, render_copy
from coldsend.models import Account, Campaign, CampaignSubsequence, Email, Lead, Send, SendState
from coldsend.tracking import tokens

REPLY_PREFIX = "Re: "


@dataclass
class SendContext:
    """Everything a send row needs, loaded in one read."""

    send: Send
    lead: Lead
    account: Account
    sequence: Sequence
    earlier: list[tuple[int, str, uuid.UUID, str | None]]  # (step, message_id, send id, subject sent)


@dataclass
class Composed:
    outgoing: OutgoingMessage
    copy: RenderedCopy
    data: bytes
    rcpt_to: list[str]
    smtputf8: bool
    thread_id: uuid.UUID


async def load(session: AsyncSession, send: Send) -> SendContext | None:
    """The row's lead, account, campaign (and subsequence) and earlier steps; None if one is gone."""
    return (await load_many(session, [send])).get(send.id)


async def _by_id(
    session: AsyncSession, model: type[Any], ids: set[uuid.UUID | None]
) -> dict[uuid.UUID | None, Any]:
    wanted = [value for value in ids if value is not None]
    if not wanted:
        return {}
    return {row.id: row for row in await session.scalars(select(model).where(model.id.in_(wanted)))}


async def load_many(session: AsyncSession, sends: list[Send]) -> dict[uuid.UUID, SendContext]:
    """`load` for a batch of rows, in one query per table; rows whose lead, account or campaign is
    gone are left out."""
    leads = await _by_id(session, Lead, {send.lead_id for send in sends})
    accounts = await _by_id(session, Account, {send.account_id for send in sends})
    campaigns = await _by_id(session, Campaign, {send.campaign_id for send in sends})
    subsequences = await _by_id(session, CampaignSubsequence, {send.subsequence_id for send in sends})
    earlier: dict[tuple[uuid.UUID, uuid.UUID], list[tuple[int, str, uuid.UUID, str | None]]] = {}
    following = [send for send in sends if send.step > 0]
    if following:
        rows = await session.execute(
            select(Send.sequence_id, Send.lead_id, Send.step, Send.message_id, Send.id, Email.subject)
            .outerjoin(Email, Email.send_id == Send.id)
            .where(
                Send.lead_id.in_({send.lead_id for send in following}),
                Send.state.in_((SendState.SENT, SendState.COMMITTED)),
            )
            .order_by(Send.step)
        )
        for sequence_id, lead_id, step, message_id, send_id, subject in rows.all():
            earlier.setdefault((sequence_id, lead_id), []).append((step, message_id, send_id, subject))
    contexts = {}
    for send in sends:
        lead, account = leads.get(send.lead_id), accounts.get(send.account_id)
        campaign, subsequence = campaigns.get(send.campaign_id), subsequences.get(send.subsequence_id)
        if (
            lead is None
            or account is None
            or campaign is None
            or (send.subsequence_id and subsequence is None)
        ):
            continue
        before = [item for item in earlier.get((send.sequence_id, send.lead_id), []) if item[0] < send.step]
        contexts[send.id] = SendContext(send, lead, account, Sequence(campaign, subsequence), before)
    return contexts


def _reply_subject(ctx: SendContext, variables: dict[str, object]) -> str:
    """ "Re: " + the subject the lead's first step went out with."""
    first_step, _message_id, first_send_id, first_subject = ctx.earlier[0]
    if first_subject is None:  # the first step's Email row is missing (a recovered send): render it again
        steps = ctx.sequence.steps
        source = steps[first_step].variant(0).subject if first_step < len(steps) else ""
        first_subject = render_copy(source, "", variables, seed=str(first_send_id)).subject
    return first_subject if first_subject.lower().startswith("re:") else REPLY_PREFIX + first_subject


def dkim_key(account: Account, settings: Settings) -> DkimKey | None:
    if not account.dkim_selector or not account.dkim_private_key_encrypted:
        return None
    return DkimKey(
        domain=account.email.rpartition("@")[2],
        selector=account.dkim_selector,
        private_key_pem=secrets.decrypt(settings, account.dkim_private_key_encrypted),
    )


# Copy this short with no Liquid tags renders in well under a millisecond (variables, spintax, HTML to
# text are linear): cheaper on the event loop than the thread hop and the GIL hand-offs it costs.
LIGHT_COPY_CHARS = 20_000


def renders_light(ctx: SendContext) -> bool:
    """Whether the send's copy is cheap enough to render on the event loop: short, no `{% %}` tags."""
    step = ctx.sequence.steps[ctx.send.step]
    variant = step.variant(ctx.send.variant)
    copy = variant.subject + variant.body
    return len(copy) <= LIGHT_COPY_CHARS and "{%" not in copy


@dataclass(frozen=True)
class Copy:
    """What one message is made of before it is rendered: the copy as written, the variables it renders
    with, and what the campaign (or placement test) asks for: text only, unsubscribe headers, tracking.
    Campaign mail and placement copies both go through `render_message`, so a placement copy is exactly
    what a campaign would send."""

    message_id: str
    account: Account
    to_email: str
    subject: str
    body: str
    variables: dict[str, object]
    seed: str  # spintax choices are seeded with it, so a retry renders the same text
    tracking_id: uuid.UUID  # the id open, click and unsubscribe links are signed for
    text_only: bool = False
    unsubscribe_header: bool = False
    open_tracking: bool = False
    link_tracking: bool = False
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    threaded: tuple[str, ...] = ()


def render_message(
    copy_in: Copy, settings: Settings, now: datetime, *, subject: str | None = None
) -> tuple[OutgoingMessage, RenderedCopy]:
    """Render the copy and build the message (DKIM-signed when the account has a key); `subject`, when
    given, replaces the rendered one (a follow-up's "Re: ")."""
    account = copy_in.account
    copy = render_copy(copy_in.subject, copy_in.body, copy_in.variables, seed=copy_in.seed)
    if subject is not None:
        copy = dataclasses.replace(copy, subject=subject)
    links = tokens.tracking_base_url(settings, account.tracking_domain_name)
    tracked = not copy_in.text_only
    outgoing = OutgoingMessage(
        message_id=copy_in.message_id,
        date=now,
        from_email=account.email,
        from_name=" ".join(part for part in (account.first_name, account.last_name) if part),
        to_email=copy_in.to_email,
        subject=copy.subject,
        html=copy.html,
        text=copy.text,
        text_only=copy_in.text_only,
        reply_to=account.reply_to or None,
        cc=list(copy_in.cc),
        bcc=list(copy_in.bcc),
        in_reply_to=copy_in.threaded[-1] if copy_in.threaded else None,
        references=list(copy_in.threaded),
        unsubscribe_url=(
            tokens.unsubscribe_url(settings, copy_in.tracking_id, base_url=links)
            if copy_in.unsubscribe_header
            else None
        ),
        one_click_unsubscribe=copy_in.unsubscribe_header,
        open_pixel_url=(
            tokens.open_url(settings, copy_in.tracking_id, base_url=links)
            if copy_in.open_tracking and tracked
            else None
        ),
        click_url=(
            (lambda url: tokens.click_url(settings, copy_in.tracking_id, url, base_url=links))
            if copy_in.link_tracking and tracked
            else None
        ),
        dkim=dkim_key(account, settings),
    )
    return outgoing, copy


def compose(ctx: SendContext, settings: Settings, now: datetime) -> Composed:
    """Render and build the message; raises render.TemplateError for copy that cannot render."""
    send, lead, account, campaign = ctx.send, ctx.lead, ctx.account, ctx.sequence.campaign
    step = ctx.sequence.steps[send.step]
    variant = step.variant(send.variant)
    variables = lead_variables(lead, account)
    replying = not variant.subject.strip() and bool(ctx.earlier)
    threaded = tuple(message_id for _step, message_id, _id, _subject in ctx.earlier)
    copy_in = Copy(
        message_id=send.message_id,
        account=account,
        to_email=lead.email or "",
        subject="" if replying else variant.subject,
        body=variant.body,
        variables=variables,
        seed=str(send.id),
        tracking_id=send.id,
        text_only=bool(campaign.text_only) or (bool(campaign.first_email_text_only) and send.step == 0),
        unsubscribe_header=bool(campaign.insert_unsubscribe_header),
        open_tracking=bool(campaign.open_tracking),
        link_tracking=bool(campaign.link_tracking),
        cc=tuple(campaign.cc_list or []),
        bcc=tuple(campaign.bcc_list or []),
        threaded=threaded,
    )
    outgoing, copy = render_message(
        copy_in, settings, now, subject=_reply_subject(ctx, variables) if replying else None
    )
    thread_id = ctx.earlier[0][2] if ctx.earlier else send.id
    return Composed(
        outgoing=outgoing,
        copy=copy,
        data=build_message(outgoing),
        rcpt_to=[outgoing.to_email, *outgoing.cc, *outgoing.bcc],
        smtputf8=requires_smtputf8(outgoing),
        thread_id=thread_id,
    )
