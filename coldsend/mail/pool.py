"""The sender's SMTP connections (mail/smtp.py's `AccountConnection`), one per account."""

import asyncio
import time

from coldsend.mail.smtp import AccountConnection, SmtpEndpoint


class ConnectionPool:
    """The sender's connections: one per account, reused, replaced when the account's endpoint changes,
    closed after `idle_seconds` without use."""

    def __init__(self, idle_seconds: float = 60.0) -> None:
        self.idle_seconds = idle_seconds
        self._connections: dict[object, AccountConnection] = {}

    def get(self, key: object, endpoint: SmtpEndpoint) -> AccountConnection:
        connection = self._connections.get(key)
        if connection is not None and connection.endpoint != endpoint:
            connection.close()
            connection = None
        if connection is None:
            connection = self._connections[key] = AccountConnection(endpoint)
        return connection

    def drop(self, key: object) -> None:
        connection = self._connections.pop(key, None)
        if connection is not None:
            connection.close()

    async def close_idle(self) -> None:
        now = time.monotonic()
        for key, connection in list(self._connections.items()):
            if now - connection.last_used > self.idle_seconds and not connection._lock.locked():
                del self._connections[key]
                await connection.quit()

    async def close(self) -> None:
        connections, self._connections = list(self._connections.values()), {}
        await asyncio.gather(*(connection.quit() for connection in connections), return_exceptions=True)
