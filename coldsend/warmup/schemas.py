from pydantic import BaseModel


class PoolMailbox(BaseModel):
    email: str
    domain: str
    provider: str  # google, microsoft or other (from MX)
    warmup_status: int
    in_pool: bool  # sends and receives warmup mail now (warmup on, account active)
    ramp_day: int
    today_volume: int
    sent_7d: int
    landed_inbox_7d: int
    landed_spam_7d: int
    rescued_7d: int


class PoolPair(BaseModel):
    mailboxes: list[str]  # the two addresses, sorted
    met_7d: int  # warmup messages between them (either way) sent in the last 7 days


class PoolReport(BaseModel):
    size: int
    domains: dict[str, int]
    providers: dict[str, int]
    mailboxes: list[PoolMailbox]
    pairs: list[PoolPair]
    warnings: list[str]
    limits: str
