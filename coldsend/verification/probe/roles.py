"""Role accounts: addresses that reach a team or a function rather than a person."""

ROLE_LOCAL_PARTS = frozenset(
    {
        "abuse", "accounting", "accounts", "admin", "administrator", "billing", "careers", "contact",
        "customerservice", "enquiries", "feedback", "finance", "help", "helpdesk", "hello", "hostmaster",
        "hr", "info", "inquiries", "jobs", "legal", "mail", "marketing", "media", "news", "newsletter",
        "noc", "no-reply", "noreply", "office", "orders", "postmaster", "press", "privacy", "recruiting",
        "sales", "security", "service", "support", "team", "webmaster",
    }
)  # fmt: skip


def is_role(local: str) -> bool:
    """`info`, `sales+eu`, `Support`: the part before any `+tag`, case-insensitive."""
    return local.lower().partition("+")[0] in ROLE_LOCAL_PARTS
