"""`coldsend verify FILE.csv|ADDRESS...`: the verification engine on a list of addresses, no server needed."""

import asyncio
import csv
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from coldsend.config import Settings, get_settings
from coldsend.verification.probe.engine import Verifier
from coldsend.verification.probe.outcome import Outcome, Reachability, Reason
from coldsend.verification.service import verdict

COLUMNS = (
    "email",
    "verification_status",
    "result",
    "reason",
    "catch_all",
    "disposable",
    "role",
    "mx_host",
    "smtp_code",
    "smtp_message",
)
CATEGORIES = ("valid", "invalid", "catch-all", "disposable", "role", "full inbox", "unknown")
_RISKY_CATEGORIES = {
    Reason.CATCH_ALL: "catch-all",
    Reason.DISPOSABLE: "disposable",
    Reason.ROLE: "role",
    Reason.FULL_INBOX: "full inbox",
}

out_console = Console()
err_console = Console(stderr=True)


def category(outcome: Outcome) -> str:
    if outcome.reachability is Reachability.SAFE:
        return "valid"
    if outcome.reachability is Reachability.RISKY:
        return _RISKY_CATEGORIES.get(outcome.reason, "unknown")
    return str(outcome.reachability)


def read_addresses(targets: Iterable[str]) -> list[str]:
    """Addresses given as arguments, and from CSV files (the `email` column, else the first one)."""
    found: list[str] = []
    for target in targets:
        path = Path(target)
        if "@" in target or not path.is_file():
            found.append(target)
            continue
        with path.open(newline="", encoding="utf-8-sig") as file:
            rows = list(csv.reader(file))
        if not rows:
            continue
        header = [cell.strip().lower() for cell in rows[0]]
        column = header.index("email") if "email" in header else 0
        body = rows[1:] if "email" in header or "@" not in rows[0][0] else rows
        found.extend(row[column].strip() for row in body if len(row) > column and row[column].strip())
    return list(dict.fromkeys(found))


def row_of(outcome: Outcome) -> dict[str, str]:
    def text(value: object) -> str:
        if isinstance(value, bool):
            return str(value).lower()
        return "" if value is None else str(value)

    return {
        "email": outcome.email,
        "verification_status": verdict(outcome).verification_status.value,
        "result": outcome.reachability.value,
        "reason": outcome.reason.value,
        "catch_all": text(outcome.catch_all),
        "disposable": text(outcome.disposable),
        "role": text(outcome.role),
        "mx_host": text(outcome.mx_host),
        "smtp_code": text(outcome.smtp_code),
        "smtp_message": text(outcome.smtp_message),
    }


async def verify_all(
    settings: Settings, addresses: list[str], concurrency: int, done: Callable[[], None]
) -> list[Outcome]:
    verifier = Verifier(settings)
    limit = asyncio.Semaphore(concurrency)

    async def one(address: str) -> Outcome:
        async with limit:
            outcome = await verifier.verify_until_final(address)
        done()
        return outcome

    return list(await asyncio.gather(*(one(address) for address in addresses)))


def _results_table(rows: list[dict[str, str]]) -> Table:
    table = Table(title="Verification results")
    for column in ("email", "result", "reason", "catch_all", "disposable", "role", "mx_host"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            *(row[column] for column in ("email", "result", "reason")),
            *(row[column] for column in ("catch_all", "disposable", "role", "mx_host")),
        )
    return table


def _summary_table(counts: Counter[str]) -> Table:
    table = Table(title="Summary")
    shown = [name for name in CATEGORIES if name != "full inbox" or counts[name]]
    for name in shown:
        table.add_column(name, justify="right")
    table.add_row(*(str(counts[name]) for name in shown))
    return table


def verify(
    targets: Annotated[list[str], typer.Argument(help="Addresses, or CSV files with an `email` column")],
    out: Annotated[Path | None, typer.Option("--out", help="Write every result to this CSV file")] = None,
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, help="Addresses checked at once")] = 20,
) -> None:
    """Verify email addresses: syntax, DNS, SMTP probe, catch-all, disposable and role checks."""
    settings = get_settings()
    addresses = read_addresses(targets)
    if not addresses:
        err_console.print("[red]No addresses to verify.[/red]")
        raise typer.Exit(code=2)
    progress = Progress(
        TextColumn("Verifying"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=err_console
    )
    with progress:
        task = progress.add_task("verify", total=len(addresses))
        outcomes = asyncio.run(verify_all(settings, addresses, concurrency, lambda: progress.advance(task)))
    rows = [row_of(outcome) for outcome in outcomes]
    if out is not None:
        with out.open("w", newline="", encoding="utf-8") as file:
            writer = csv.DictWriter(file, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
    out_console.print(_results_table(rows))
    out_console.print(_summary_table(Counter(category(outcome) for outcome in outcomes)))
    blocked = sum(outcome.reason is Reason.PORT_BLOCKED for outcome in outcomes)
    if blocked:
        err_console.print(
            f"[yellow]Outbound SMTP (port {settings.verify_smtp_port}) looks blocked on this network: "
            f"{blocked} address(es) are unknown. Set COLDSEND_VERIFY_SMTP_PROXY=host:port to probe "
            "through a SOCKS5 proxy that can reach port 25.[/yellow]"
        )
