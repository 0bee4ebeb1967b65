import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from coldsend.dns import nameserver


class Settings(BaseSettings):
    """All configuration, read from `COLDSEND_*` environment variables."""

    model_config = SettingsConfigDict(env_prefix="COLDSEND_", extra="ignore")

    data_dir: Path = Path("./coldsend-data")
    database_url: str | None = None
    secret_key: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    rate_limit_per_second: int = Field(default=100, ge=1)
    rate_limit_per_minute: int = Field(default=6000, ge=1)
    api_key_cache_seconds: float = Field(
        default=2.0, ge=0, description="how long a node trusts a key it has looked up; 0 disables"
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
    dns_nameservers: list[str] = Field(
        default_factory=list,
        description='IP addresses, "ip:port" or "[ipv6]:port"; empty means the system resolver',
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

    @field_validator("dns_nameservers")
    @classmethod
    def _nameservers_parse(cls, value: list[str]) -> list[str]:
        for spec in value:
            nameserver(spec)
        return value

    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{(self.data_dir / 'coldsend.db').resolve()}"

    def effective_secret_key(self) -> str:
        """The configured key, or one generated into the data dir on first use."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(32))
            path.chmod(0o600)
        return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()
