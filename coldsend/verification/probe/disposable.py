"""Disposable (throw-away) mail domains: the `disposable-email-domains` list, plus the user's own file."""

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from disposable_email_domains import blocklist


@lru_cache(maxsize=8)
def _domains(extra_file: Path | None) -> frozenset[str]:
    extra: Iterable[str] = ()
    if extra_file is not None:
        lines = extra_file.read_text(encoding="utf-8").splitlines()
        extra = (line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))
    return frozenset(blocklist) | frozenset(extra)


def is_disposable(domain: str, *, extra_file: Path | None = None) -> bool:
    """True for a listed domain or any subdomain of one."""
    domains = _domains(extra_file)
    labels = domain.lower().split(".")
    return any(".".join(labels[i:]) in domains for i in range(len(labels) - 1))
