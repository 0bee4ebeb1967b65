import logging

from coldsend.web.identity import LINK_PATH


class RedactSignInLinks(logging.Filter):
    """Access log lines name a one-time sign-in link's path without its token (a log reader must not be
    able to use it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            path = args[2]
            if path.startswith(LINK_PATH):
                record.args = (*args[:2], LINK_PATH + "[token]", *args[3:])
        return True
