"""Auto-replies: out-of-office and other messages a mail client sends by itself."""

import re

from coldsend.mail.inbound.headers import Headers, first_word

_AUTO_REPLY_HEADERS = ("x-autoreply", "x-autorespond", "x-autoresponder")
_SUPPRESS_OOF = re.compile(r"\b(?:oof|all)\b", re.IGNORECASE)
_AUTO_REPLY_SUBJECT = re.compile(
    r"(?:(?:re|aw)\s*:\s*)*"
    r"(?:auto\s*:|automatic reply|auto[- ]?reply|out of (?:the )?office|abwesenheitsnotiz"
    r"|automatische antwort|r[ée]ponse automatique|respuesta autom[áa]tica|risposta automatica"
    r"|automatisch antwoord|resposta autom[áa]tica|автоматический ответ|автоответ|automatyczna odpowied[źz]"
    r"|automatiskt svar|automatisk svar|automaattinen vastaus|automatick[áa] odpov[ěe][ďd]|otomatik yan[ıi]t"
    r"|自動応答|自動返信|不在通知|自动回复)",
    re.IGNORECASE,
)
_OUT_OF_OFFICE_SUBJECT = re.compile(
    r"out of (?:the )?office|\boo[of]\b|away from|vacation|holiday|on leave|absen|abwesen|urlaub|ausente"
    r"|automatic reply|auto[- ]?repl|auto[- ]?respon|automatische antwort|r[ée]ponse automatique"
    r"|respuesta autom[áa]tica|risposta automatica|automatisch antwoord",
    re.IGNORECASE,
)


def is_auto_reply(headers: Headers, subject: str) -> bool:
    auto_submitted = first_word(headers.first("auto-submitted"))
    if auto_submitted and auto_submitted != "no":
        return True
    if any(headers.first(name) is not None for name in _AUTO_REPLY_HEADERS):
        return True
    if first_word(headers.first("precedence")) == "auto_reply":
        return True
    suppress = headers.first("x-auto-response-suppress") or ""
    if _SUPPRESS_OOF.search(suppress) and _OUT_OF_OFFICE_SUBJECT.search(subject):
        return True
    return has_auto_reply_subject(subject)


def has_auto_reply_subject(subject: str) -> bool:
    return _AUTO_REPLY_SUBJECT.match(subject) is not None
