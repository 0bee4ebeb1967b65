"""The variables copy renders with for one lead sent from one account, under Instantly's names."""

import json
from collections.abc import Iterable

from liquid import Markup

from coldsend.mail.render import SYSTEM_VARIABLES, missing_variables
from coldsend.models import Account, Lead

_SCALARS = (str, int, float, bool)


def lead_fields(lead: Lead) -> dict[str, object]:
    """The lead's own variables: its payload's custom variables, then the standard fields (which win)."""
    variables: dict[str, object] = {}
    for key, value in (lead.payload or {}).items():
        if value is None or isinstance(value, _SCALARS):
            variables[key] = value
        else:
            variables[key] = json.dumps(value, ensure_ascii=False)
    variables.update(
        firstName=lead.first_name,
        lastName=lead.last_name,
        email=lead.email,
        companyName=lead.company_name,
        companyDomain=lead.company_domain,
        jobTitle=lead.job_title,
        phone=lead.phone,
        website=lead.website,
        personalization=lead.personalization,
    )
    return variables


def account_fields(account: Account) -> dict[str, object]:
    """The system variables, filled from the sending account."""
    full_name = " ".join(part for part in (account.first_name, account.last_name) if part)
    return {
        # The signature is the account owner's HTML, not lead data: it is not escaped.
        "accountSignature": Markup(account.signature or ""),
        "sendingAccountEmail": account.email,
        "sendingAccountFirstName": account.first_name,
        "sendingAccountLastName": account.last_name,
        "sendingAccountFullName": full_name,
    }


def lead_variables(lead: Lead, account: Account) -> dict[str, object]:
    """Every variable copy may use for this lead sent from this account, under Instantly's names."""
    return {**lead_fields(lead), **account_fields(account)}


def lead_missing_variables(used: Iterable[str], lead: Lead) -> tuple[str, ...]:
    """The lead variables the copy uses (see `used_variables`) that this lead has no value for.

    For showing which leads miss variables before launch; system variables are the account's, not the lead's.
    """
    return missing_variables((name for name in used if name not in SYSTEM_VARIABLES), lead_fields(lead))
