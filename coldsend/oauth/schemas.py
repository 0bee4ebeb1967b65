from typing import Literal

from pydantic import BaseModel, Field

from coldsend.http.schemas import ResponseModel, Timestamp

SessionStatus = Literal["pending", "success", "error", "expired"]


def _absent(value: object) -> bool:
    return value is None


class OAuthInit(ResponseModel):
    session_id: str = Field(description="Session ID for polling status")
    auth_url: str = Field(
        description="The provider's authorization URL to send the user to (state, PKCE S256 challenge)"
    )
    expires_at: Timestamp = Field(description="Session expiry time (10 minutes from creation)")


class OAuthSessionState(BaseModel):
    """A session's outcome; only the fields of its status are present (never an `error` on success)."""

    status: SessionStatus = Field(description="Current status of the OAuth session")
    email: str | None = Field(
        default=None, description="Email of the connected account (on success)", exclude_if=_absent
    )
    name: str | None = Field(
        default=None, description="Name of the account owner (on success)", exclude_if=_absent
    )
    error: str | None = Field(default=None, description="Error code (on error)", exclude_if=_absent)
    error_description: str | None = Field(
        default=None, description="Human-readable error description (on error)", exclude_if=_absent
    )
