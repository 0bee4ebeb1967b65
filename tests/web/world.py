"""The world the browser tests build: who signs in, the sending account, the CSV of leads."""

from playwright.async_api import BrowserContext, Page

OWNER = "owner@example.com"
VIEWER = "viewer@example.com"
ACCOUNT = "sales@coldsend-dashboard.test"
HOSTILE_NAME = "<script>window.pwned=1</script>"
LEADS = 100
INVALID = ("not-an-email", "still@not@valid", "@missing.local")
REPEATED = (5, 6)  # rows repeating an earlier row's email
TIMEOUT_MS = 60_000


async def page_of(context: BrowserContext) -> Page:
    return context.pages[0] if context.pages else await context.new_page()


def csv_rows() -> str:
    lines = ["Email,First Name,Last Name,Company,Favourite Color"]
    for n in range(LEADS - len(INVALID) - len(REPEATED)):
        first = HOSTILE_NAME if n == 0 else f"Lead{n}"
        lines.append(f'lead{n}@example.org,"{first}",Person,Acme {n},blue{n}')
    lines += [f"{address},Bad,Row,Acme,red" for address in INVALID]
    lines += [f"lead{n}@example.org,Again,Row,Acme,green" for n in REPEATED]
    return "\n".join(lines) + "\n"
