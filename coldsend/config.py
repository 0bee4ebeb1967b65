import json
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from coldsend.dns import nameserver

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
# The curated blacklists of placement reports: zones that answer a resolver of one's own.
DEFAULT_IP_BLACKLISTS = (
    "zen.spamhaus.org",
    "bl.spamcop.net",
    "b.barracudacentral.org",
    "psbl.surriel.com",
    "bl.mailspike.net",
    "dnsbl.sorbs.net",
)
DEFAULT_DOMAIN_BLACKLISTS = ("dbl.spamhaus.org", "multi.surbl.org", "multi.uribl.com")


class Settings(BaseSettings):
    """All configuration, read from `COLDSEND_*` environment variables."""

    model_config = SettingsConfigDict(env_prefix="COLDSEND_", extra="ignore")

    data_dir: Path = Path("./coldsend-data")
    database_url: str | None = None
    database_pool_size: int = Field(
        default=20,
        ge=1,
        description="PostgreSQL connections each process keeps open (the API opens them as it starts): "
        "enough for the requests in flight at a peak",
    )
    database_max_overflow: int = Field(
        default=10,
        ge=0,
        description="connections a process may open beyond its pool at a peak, each closed as it is returned",
    )
    secret_key: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = Field(
        default=None,
        description="base URL that tracking and unsubscribe links point at; empty means http://{host}:{port}",
    )
    rate_limit_per_second: int = Field(default=100, ge=1)
    rate_limit_per_minute: int = Field(default=6000, ge=1)
    api_key_cache_seconds: float = Field(
        default=2.0, ge=0, description="how long a node trusts a key it has looked up; 0 disables"
    )
    max_request_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1024, description="largest request body; larger ones get a 413"
    )
    max_header_bytes: int = Field(
        default=32 * 1024, ge=1024, description="largest request header block (names and values); 431 over it"
    )
    max_copy_chars: int = Field(
        default=100_000, ge=100, description="longest subject or body of one sequence step variant"
    )
    max_sequence_variants: int = Field(
        default=500, ge=1, description="variants over every step of a campaign's or subsequence's sequences"
    )
    max_sequence_copy_chars: int = Field(
        default=1_000_000,
        ge=100,
        description="characters of copy over every variant of a campaign's sequences",
    )
    max_custom_variables: int = Field(
        default=500, ge=1, description="custom variables of one lead (a PATCH merges into the lead's)"
    )
    job_lease_seconds: float = Field(default=30.0, gt=0)
    job_poll_interval: float = Field(default=0.5, gt=0)
    job_batch_size: int = Field(default=500, ge=1)
    job_max_attempts: int = Field(default=3, ge=1)
    job_max_takeovers: int = Field(
        default=10, ge=1, description="attempts after which a job abandoned by a dead worker fails"
    )
    job_retry_delay_seconds: float = Field(default=30.0, ge=0)
    job_worker_id: str | None = Field(
        default=None, max_length=100, description='lease owner name; empty means "hostname:pid:random"'
    )
    log_level: str = "info"
    workspace_removal_delay_seconds: float = Field(default=86_400.0, ge=0)
    tracking_domain_allow_private: bool = Field(
        default=False, description="TLS-check tracking domains whose addresses are loopback or private"
    )
    dns_nameservers: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description='IP addresses, "ip:port" or "[ipv6]:port", as a JSON list or comma-separated; '
        "empty means the system resolver",
    )

    verify_smtp_port: int = Field(default=25, ge=1, le=65535, description="port of the MX hosts probed")
    verify_ehlo_hostname: str | None = Field(
        default=None, max_length=253, description="name sent in EHLO; empty means this host's FQDN"
    )
    verify_mail_from: str | None = Field(
        default=None, max_length=320, description="MAIL FROM of probes; empty means verify@<EHLO name>"
    )
    verify_smtp_proxy: str | None = Field(
        default=None, description='"host:port" of a SOCKS5 proxy for probes, where port 25 is blocked'
    )
    verify_connect_timeout_seconds: float = Field(default=5.0, gt=0)
    verify_smtp_timeout_seconds: float = Field(default=15.0, gt=0)
    verify_dns_timeout_seconds: float = Field(default=5.0, gt=0)
    verify_sync_window_seconds: float = Field(
        default=10.0, ge=0, description="how long POST /email-verification waits before answering pending"
    )
    verify_max_attempts: int = Field(default=4, ge=1, description="tries of a greylisted or timed-out check")
    verify_retry_delay_seconds: float = Field(
        default=120.0, ge=0, description="first wait before retrying; doubles at each retry"
    )
    verify_result_ttl_seconds: float = Field(default=7 * 86_400.0, ge=0)
    verify_catch_all_ttl_seconds: float = Field(default=86_400.0, ge=0)
    verify_domain_concurrency: int = Field(default=2, ge=1, description="open probes per MX host")
    verify_domain_rate_per_second: float = Field(default=5.0, gt=0, description="new probes per MX host")
    verify_concurrency: int = Field(default=20, ge=1, description="verifications the engine runs at once")
    verify_poll_interval: float = Field(default=1.0, gt=0)
    verify_lease_seconds: float = Field(default=300.0, gt=0)
    verify_port_blocked_after: int = Field(
        default=3, ge=1, description="MX hosts in a row unreachable before port 25 is reported blocked"
    )
    verify_port_blocked_recheck_seconds: float = Field(default=300.0, ge=0)
    verify_disposable_domains_file: Path | None = Field(
        default=None, description="extra disposable domains, one a line, added to the packaged list"
    )
    verify_credits: int | None = Field(
        default=None, ge=0, description="verifications allowed per workspace; empty means unlimited"
    )
    verify_smtp_allow_private: bool = Field(
        default=False, description="probe MX hosts at loopback and private addresses"
    )
    verify_webhook_max_attempts: int = Field(default=6, ge=1)
    verify_webhook_retry_delay_seconds: float = Field(default=10.0, ge=0)
    verify_webhook_timeout_seconds: float = Field(default=10.0, gt=0)

    webhook_allow_private: bool = Field(
        default=False,
        description="deliver webhooks (and verification webhooks) to loopback, private, link-local and other "
        "non-public addresses: for integrations on your own network",
    )
    webhook_timeout_seconds: float = Field(default=15.0, gt=0, description="deadline of one webhook POST")
    webhook_retry_schedule: list[float] = Field(
        default=[0, 5, 300, 1800, 7200, 18000, 36000, 36000],
        min_length=1,
        description="seconds before each attempt of a webhook delivery, counted from the one before (the "
        "Standard Webhooks schedule: at once, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h); after the last "
        "one fails the delivery has failed",
    )
    webhook_disable_after_seconds: float = Field(
        default=5 * 86400.0,
        gt=0,
        description="a webhook whose deliveries have all failed for this long is disabled (status -1)",
    )
    webhook_concurrency_per_host: int = Field(
        default=8, ge=1, description="webhook POSTs in flight at once to one target host, per worker"
    )
    webhook_secret_overlap_seconds: float = Field(
        default=86400.0,
        ge=0,
        description="after a secret rotation, how long the previous secret still signs (beside the new one)",
    )
    webhook_poll_interval: float = Field(
        default=0.2, gt=0, description="how often an idle webhook dispatcher looks for new deliveries"
    )

    send_poll_interval: float = Field(default=1.0, gt=0, description="scheduler tick and sender poll")
    send_lease_seconds: float = Field(
        default=90.0, gt=0, description="how long a send stays claimed; must exceed one SMTP transaction"
    )
    send_max_attempts: int = Field(default=8, ge=1)
    send_retry_base_seconds: float = Field(default=60.0, ge=0)
    send_retry_max_seconds: float = Field(default=3600.0, ge=0)
    soft_bounce_retries: int = Field(
        default=2,
        ge=0,
        description="how often a step that soft-bounced (mailbox full, message too large, expired) is sent "
        "again before the lead stops as bounced",
    )
    soft_bounce_retry_seconds: float = Field(
        default=6 * 3600.0, ge=0, description="how long after a soft bounce the step is tried again"
    )
    send_max_accounts_in_flight: int = Field(default=100, ge=1, description="per worker")
    send_batch_size: int = Field(default=500, ge=1, description="sends planned per sequence per tick")
    account_default_daily_limit: int = Field(default=50, ge=1)
    smtp_idle_seconds: float = Field(default=60.0, gt=0)
    smtp_timeout_seconds: float = Field(default=30.0, gt=0)
    imap_timeout_seconds: float = Field(default=30.0, gt=0)
    imap_ca_file: Path | None = Field(
        default=None, description="extra CA bundle trusted for IMAP TLS (self-hosted mail servers)"
    )
    account_health_interval_seconds: float = Field(
        default=300.0, gt=0, description="how often each active account's IMAP login is checked"
    )
    rollup_fold_interval_seconds: float = Field(
        default=900.0,
        gt=0,
        description="how often the analytics rollups' rows of past days, counted in stripes while writers "
        "add to them, are folded into one row per key (PostgreSQL)",
    )
    smtp_ca_file: Path | None = Field(
        default=None, description="extra CA bundle trusted for SMTP TLS (self-hosted mail servers)"
    )
    inbox_poll_seconds: float = Field(
        default=60.0, gt=0, description="how often each account's INBOX is read for replies and bounces"
    )
    account_check_seconds: float = Field(
        default=10.0,
        gt=0,
        description="deadline of the SMTP and IMAP login check when an account is created or its mail "
        "settings change (a failure is the account's connection error status, the account still saves)",
    )
    inbox_read_deadline_seconds: float = Field(
        default=300.0,
        gt=0,
        description="longest one account's inbox read may take; a slower one is abandoned (noted on its "
        "cursor) and read again, from where it stopped, at the next poll",
    )
    inbox_max_message_bytes: int = Field(
        default=2_000_000, ge=10_000, description="larger messages are read by their headers only"
    )
    warmup_poll_interval: float = Field(
        default=5.0, gt=0, description="seconds between warmup loop ticks (plan, send due, read mailboxes)"
    )
    warmup_read_seconds: float = Field(
        default=600.0, gt=0, description="how often each warmup pool mailbox's INBOX and spam folder are read"
    )
    warmup_day_start_hour: int = Field(
        default=7, ge=0, le=23, description="UTC hour from which a day's warmup mail is spread"
    )
    warmup_day_end_hour: int = Field(
        default=19, ge=1, le=24, description="UTC hour by which a day's warmup mail has gone out"
    )
    warmup_default_limit: int = Field(
        default=10, ge=1, description="warmup emails a day of an account whose warmup.limit is unset"
    )
    warmup_ramp_start: int = Field(
        default=2, ge=1, description="first day's warmup volume when warmup.increment is a number"
    )
    warmup_campaign_volume: int = Field(
        default=3,
        ge=0,
        description="warmup emails a day (at most) of an account that also sends an active campaign",
    )
    account_daily_ceiling: int = Field(
        default=200,
        ge=1,
        description="one account's emails a day, campaign and warmup together; warmup gets what is left",
    )
    warmup_folder: str = Field(
        default="Warmup", min_length=1, max_length=200, description="where warmup mail is filed"
    )
    warmup_group_pool: bool = Field(
        default=False,
        description="an admin workspace and the sub workspaces of its group share one warmup pool",
    )
    placement_poll_interval: float = Field(
        default=5.0, gt=0, description="seconds between placement loop ticks (start runs, send, read seeds)"
    )
    placement_read_seconds: float = Field(
        default=60.0, gt=0, description="how often the seeds of a running placement test are searched"
    )
    placement_missing_minutes: float = Field(
        default=120.0, gt=0, description="a placement copy not found in its seed within this long is missing"
    )
    placement_one_by_one_seconds: float = Field(
        default=60.0, ge=0, description="gap between the copies of a one-by-one (delivery_mode 1) test"
    )
    placement_ip_blacklists: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_IP_BLACKLISTS),
        description="DNSBL zones the sending IP is checked against (JSON list or comma-separated); "
        "Spamhaus zones only with placement_spamhaus_dqs_key",
    )
    placement_domain_blacklists: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_DOMAIN_BLACKLISTS),
        description="domain (URIBL) zones the sending domain is checked against",
    )
    placement_spamhaus_dqs_key: SecretStr | None = Field(
        default=None,
        description="Spamhaus Data Query Service key: Spamhaus zones are queried as "
        "<key>.<zone>.dq.spamhaus.net (Spamhaus refuses queries through public resolvers); without it they "
        "are not checked",
    )
    placement_spamd_host: str = Field(default="127.0.0.1", description="spamd (SpamAssassin) host")
    placement_spamd_port: int = Field(default=783, ge=1, le=65535, description="spamd port")
    placement_spamd_timeout_seconds: float = Field(default=30.0, gt=0)
    tracking_repeat_seconds: float = Field(
        default=3600.0,
        ge=0,
        description="an open or click repeated through one tracking link counts again at most once per this "
        "long (the first one always counts, as a unique open or click)",
    )

    dashboard_idle_minutes: float = Field(
        default=480.0, gt=0, description="a dashboard session not used for this long is signed out"
    )
    dashboard_session_days: float = Field(
        default=7.0, gt=0, description="a dashboard session ends this long after sign-in, used or not"
    )
    sign_in_link_hours: float = Field(
        default=72.0, gt=0, description="how long a one-time sign-in link (first start, invitation) works"
    )
    login_attempts_per_address: int = Field(
        default=5, ge=1, description="failed dashboard sign-ins per email address per login window"
    )
    login_attempts_per_ip: int = Field(
        default=20, ge=1, description="failed dashboard sign-ins per client IP address per login window"
    )
    login_window_seconds: float = Field(default=900.0, gt=0, description="the window of those two limits")

    # OAuth mailboxes (coldsend/oauth/): your own OAuth app at each provider (README, "OAuth mailboxes").
    google_client_id: str | None = Field(default=None, description="OAuth client ID of your Google Cloud app")
    google_client_secret: SecretStr | None = None
    google_authorization_url: str = "https://accounts.google.com/o/oauth2/v2/auth"
    google_token_url: str = "https://oauth2.googleapis.com/token"
    google_userinfo_url: str = "https://openidconnect.googleapis.com/v1/userinfo"
    google_smtp_server: str = Field(default="smtp.gmail.com:587", description="host:port of a new account")
    google_imap_server: str = Field(default="imap.gmail.com:993", description="host:port of a new account")
    microsoft_client_id: str | None = Field(
        default=None, description="Application (client) ID of your Microsoft Entra app registration"
    )
    microsoft_client_secret: SecretStr | None = None
    microsoft_tenant: str = Field(
        default="common", description='"common", "organizations", or your directory (tenant) ID or domain'
    )
    microsoft_authorization_url: str = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize"
    microsoft_token_url: str = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"
    microsoft_userinfo_url: str = "https://graph.microsoft.com/oidc/userinfo"
    microsoft_smtp_server: str = Field(
        default="smtp.office365.com:587", description="host:port of a new account"
    )
    microsoft_imap_server: str = Field(
        default="outlook.office365.com:993", description="host:port of a new account"
    )
    oauth_timeout_seconds: float = Field(
        default=15.0, gt=0, description="deadline of one request to a provider (code exchange, refresh)"
    )
    oauth_refresh_margin_seconds: float = Field(
        default=300.0, ge=0, description="an access token is renewed this long before it expires"
    )

    reply_rules_file: Path | None = Field(
        default=None,
        description="JSON file of extra reply-classification phrases (see lead_labels/classifier.py)",
    )
    reply_classifier_url: str | None = Field(
        default=None, description="base URL of an OpenAI-compatible API; unset means the keyword classifier"
    )
    reply_classifier_api_key: SecretStr | None = None
    reply_classifier_model: str | None = None
    reply_classifier_timeout_seconds: float = Field(default=30.0, gt=0)
    reply_label_budget: int = Field(
        default=500, ge=0, description="ai-reply-label calls per window; 0 = no limit"
    )
    reply_label_budget_days: float = Field(default=30.0, gt=0)

    @field_validator("verify_smtp_proxy")
    @classmethod
    def _proxy_parse(cls, value: str | None) -> str | None:
        if value:
            host, _, port = value.strip().removeprefix("socks5://").rpartition(":")
            if not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError('expected "host:port" (or "socks5://host:port")')
        return value or None

    @field_validator(
        "dns_nameservers", "placement_ip_blacklists", "placement_domain_blacklists", mode="before"
    )
    @classmethod
    def _nameservers_split(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith('["') or text == "[]":
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("dns_nameservers")
    @classmethod
    def _nameservers_parse(cls, value: list[str]) -> list[str]:
        for spec in value:
            nameserver(spec)
        return value

    @field_validator(
        "google_smtp_server", "google_imap_server", "microsoft_smtp_server", "microsoft_imap_server"
    )
    @classmethod
    def _server_is_host_port(cls, value: str) -> str:
        host, _, port = value.strip().rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError('expected "host:port"')
        return value.strip()

    @field_validator(
        "google_authorization_url",
        "google_token_url",
        "google_userinfo_url",
        "microsoft_authorization_url",
        "microsoft_token_url",
        "microsoft_userinfo_url",
    )
    @classmethod
    def _endpoint_is_http(cls, value: str) -> str:
        if not value.lower().startswith(("http://", "https://")):
            raise ValueError(
                "an OAuth endpoint must start with https:// (or http:// for a local test provider)"
            )
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url_is_http(cls, value: str | None) -> str | None:
        if value and not value.lower().startswith(("http://", "https://")):
            raise ValueError("public_url must start with http:// or https://")
        return value

    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        database = self._private_data_dir() / "coldsend.db"
        _private_file(database)
        # SQLite gives -wal and -shm the database's mode when it creates them; these tighten older files.
        for sidecar in ("coldsend.db-wal", "coldsend.db-shm"):
            if (self.data_dir / sidecar).exists():
                (self.data_dir / sidecar).chmod(PRIVATE_FILE_MODE)
        return f"sqlite+aiosqlite:///{database.resolve()}"

    def effective_public_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    def effective_secret_key(self) -> str:
        """The configured key, or one generated into the data dir on first use."""
        if self.secret_key:
            return self.secret_key
        path = self._private_data_dir() / "secret_key"
        if not path.exists():
            _private_file(path)
            path.write_text(secrets.token_urlsafe(32))
        return path.read_text().strip()

    def _private_data_dir(self) -> Path:
        """The data dir, created readable by this user only (it holds lead data and the secret key)."""
        if not self.data_dir.exists():
            self.data_dir.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
            self.data_dir.chmod(PRIVATE_DIR_MODE)
        return self.data_dir


def _private_file(path: Path) -> None:
    """Create `path` with mode 0600 (never briefly wider), or narrow an existing one to it."""
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE_FILE_MODE))
    path.chmod(PRIVATE_FILE_MODE)


@lru_cache
def get_settings() -> Settings:
    return Settings()
