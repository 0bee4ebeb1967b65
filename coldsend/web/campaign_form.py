"""The campaign editor's form: its fields ⇄ the body POST/PATCH /campaigns take, checked by their schema."""

import re
from typing import Any

from starlette.datastructures import FormData

from coldsend.campaigns.schemas import CampaignCreate, CampaignUpdate
from coldsend.web.forms import checked, number

DAY_NAMES = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
NUMBERS = ("daily_limit", "email_gap", "random_wait_max", "daily_max_leads")
SWITCHES = (
    ("stop_on_reply", "Stop a lead's sequence when they reply"),
    ("stop_on_auto_reply", "Stop on an auto-reply too"),
    ("stop_for_company", "A reply stops the lead's whole company"),
    ("open_tracking", "Open tracking (pixel)"),
    ("link_tracking", "Link tracking"),
    ("insert_unsubscribe_header", "Unsubscribe header (RFC 8058)"),
    ("text_only", "Text only (no HTML, so no tracking)"),
    ("first_email_text_only", "First email text only"),
    ("prioritize_new_leads", "Plan new leads before follow-ups"),
)
_FIELD = re.compile(r"^steps-(\d+)-(delay|delay_unit|variants-(\d+)-(subject|body|v_disabled))$")
MAX_EDITOR_STEPS = 100


def empty_variant() -> dict[str, Any]:
    return {"subject": "", "body": "", "v_disabled": False}


def empty_step() -> dict[str, Any]:
    return {"delay": "1", "delay_unit": "days", "variants": [empty_variant()]}


def state_of(campaign: Any | None) -> dict[str, Any]:
    """The editor's values for a stored campaign (or a new one)."""
    if campaign is None:
        return {
            "name": "",
            "steps": [empty_step()],
            "schedule": {"timezone": "America/Chicago", "from": "09:00", "to": "17:00"}
            | {"days": {"1", "2", "3", "4", "5"}, "start_date": "", "end_date": ""},
            "email_list": [],
            "email_tag_list": [],
            "options": {"stop_on_reply": True},
            "numbers": {},
        }
    steps = (campaign.sequences[0].get("steps") or []) if campaign.sequences else []
    schedule = campaign.campaign_schedule or {}
    first = (schedule.get("schedules") or [{}])[0]
    return {
        "name": campaign.name,
        "steps": [
            {
                "delay": _number_text(step.get("delay", 0)),
                "delay_unit": step.get("delay_unit") or "days",
                "variants": [
                    {
                        "subject": v.get("subject", ""),
                        "body": v.get("body", ""),
                        "v_disabled": bool(v.get("v_disabled")),
                    }
                    for v in step.get("variants") or []
                ],
            }
            for step in steps
        ],
        "schedule": {
            "timezone": first.get("timezone", "America/Chicago"),
            "from": (first.get("timing") or {}).get("from", "09:00"),
            "to": (first.get("timing") or {}).get("to", "17:00"),
            "days": {day for day, on in (first.get("days") or {}).items() if on},
            "start_date": schedule.get("start_date") or "",
            "end_date": schedule.get("end_date") or "",
        },
        "email_list": list(campaign.email_list or []),
        "email_tag_list": [str(tag) for tag in campaign.email_tag_list or []],
        "options": {name: bool(getattr(campaign, name)) for name, _ in SWITCHES},
        "numbers": {name: _number_text(getattr(campaign, name)) for name in NUMBERS},
    }


def _number_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def parse(form: FormData) -> dict[str, Any]:
    """The editor's values as posted (kept as typed, so a refused form comes back as it was)."""
    steps: dict[int, dict[str, Any]] = {}
    for key in form:
        match = _FIELD.match(key)
        if not match or int(match.group(1)) >= MAX_EDITOR_STEPS:
            continue
        step = steps.setdefault(int(match.group(1)), {"delay": "", "delay_unit": "days", "variants": {}})
        if match.group(3) is None:
            step[match.group(2)] = _text(form, key)
        elif int(match.group(3)) < MAX_EDITOR_STEPS:
            variant = step["variants"].setdefault(int(match.group(3)), empty_variant())
            name = match.group(4)
            variant[name] = True if name == "v_disabled" else _text(form, key)
    return {
        "name": _text(form, "name").strip(),
        "steps": [
            {**steps[i], "variants": [steps[i]["variants"][j] for j in sorted(steps[i]["variants"])]}
            for i in sorted(steps)
        ],
        "schedule": {
            "timezone": _text(form, "timezone"),
            "from": _text(form, "from"),
            "to": _text(form, "to"),
            "days": {day for day in form.getlist("days") if isinstance(day, str)},
            "start_date": _text(form, "start_date"),
            "end_date": _text(form, "end_date"),
        },
        "email_list": [v for v in form.getlist("email_list") if isinstance(v, str)],
        "email_tag_list": [v for v in form.getlist("email_tag_list") if isinstance(v, str)],
        "options": {name: form.get(name) == "on" for name, _ in SWITCHES},
        "numbers": {name: _text(form, name).strip() for name in NUMBERS},
    }


def edit(state: dict[str, Any], action: str) -> None:
    """An editor button that changes the form, not the campaign: add or remove a step or a variant."""
    kind, _, where = action.partition("-")
    index = [int(part) for part in where.split("-") if part.isdigit()]
    steps = state["steps"]
    if kind == "add_step" and len(steps) < MAX_EDITOR_STEPS:
        steps.append(empty_step())
    elif kind == "remove_step" and index and index[0] < len(steps):
        steps.pop(index[0])
    elif kind == "add_variant" and index and index[0] < len(steps):
        steps[index[0]]["variants"].append(empty_variant())
    elif kind == "remove_variant" and len(index) == 2 and index[0] < len(steps):
        variants = steps[index[0]]["variants"]
        if index[1] < len(variants) and len(variants) > 1:
            variants.pop(index[1])


def body_of(state: dict[str, Any]) -> dict[str, Any]:
    """The JSON body the API would take for these values."""
    schedule = state["schedule"]
    campaign_schedule: dict[str, Any] = {
        "schedules": [
            {
                "name": "Schedule",
                "timing": {"from": schedule["from"], "to": schedule["to"]},
                "days": {str(day): str(day) in schedule["days"] for day in range(7)},
                "timezone": schedule["timezone"],
            }
        ]
    }
    for name in ("start_date", "end_date"):
        if schedule[name]:
            campaign_schedule[name] = schedule[name]
    body: dict[str, Any] = {
        "name": state["name"],
        "campaign_schedule": campaign_schedule,
        "sequences": [
            {
                "steps": [
                    {
                        "type": "email",
                        "delay": number(step["delay"] or "0"),
                        "delay_unit": step["delay_unit"],
                        "variants": step["variants"],
                    }
                    for step in state["steps"]
                ]
            }
        ],
        "email_list": state["email_list"],
        "email_tag_list": state["email_tag_list"],
        **state["options"],
    }
    for name in NUMBERS:
        body[name] = number(state["numbers"][name]) if state["numbers"][name] else None
    return body


def to_create(state: dict[str, Any]) -> CampaignCreate:
    created: CampaignCreate = checked(CampaignCreate, body_of(state))
    return created


def to_update(state: dict[str, Any]) -> CampaignUpdate:
    updated: CampaignUpdate = checked(CampaignUpdate, body_of(state))
    return updated
