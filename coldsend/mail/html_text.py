"""The text/plain part of an email, derived from its HTML copy."""

import re
from html.parser import HTMLParser

_LINE_TAGS = frozenset({"div", "li", "ul", "ol", "tr", "table", "hr"})
_PARAGRAPH_TAGS = frozenset({"p", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6"})
_HIDDEN_TAGS = frozenset({"head", "style", "script", "title", "template"})
_SPACES = re.compile(r"[ \t\r\n\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_TAG = re.compile(r"<[a-zA-Z!/]")
_LABEL_SLACK = 64  # spaces around a link label that repeats its URL


def looks_like_html(source: str) -> bool:
    return _TAG.search(source) is not None


class _TextCollector(HTMLParser):
    """Keeps what it needs of the output so far in counters, so that each tag costs the same however
    much came before it (deeply nested copy was quadratic)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0
        self._links: list[tuple[str | None, int, int]] = []  # (href, first part, length before)
        self._length = 0
        self._last_text = -1  # index of the last part with visible text
        self._newlines = 0  # line breaks after it

    def _append(self, part: str) -> None:
        if not part:
            return
        body = part.rstrip(" ")
        stripped = body.rstrip("\n")
        if stripped.strip():
            self._last_text = len(self.parts)
            self._newlines = len(body) - len(stripped)
        else:
            self._newlines += len(body) - len(stripped)
        self.parts.append(part)
        self._length += len(part)

    def _trailing_newlines(self) -> int:
        """Line breaks at the end of the output so far (the start counts as a paragraph break)."""
        return self._newlines if self._last_text >= 0 else 2

    def _break(self, lines: int) -> None:
        """End the current line (1) or paragraph (2), unless the output already does."""
        self._append("\n" * max(0, lines - self._trailing_newlines()))

    def _block(self, tag: str) -> None:
        self._break(2 if tag in _PARAGRAPH_TAGS else 1)

    def _label_is(self, href: str, start: int, length_before: int) -> bool:
        if self._length - length_before > len(href) + _LABEL_SLACK:
            return False  # too long to be the bare URL (and not worth joining)
        return "".join(self.parts[start:]).strip() == href

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden += 1
        elif tag == "br":
            self._append("\n")
        elif tag in _LINE_TAGS or tag in _PARAGRAPH_TAGS:
            self._block(tag)
            if tag == "li":
                self._append("- ")
        elif tag == "a":
            self._links.append((dict(attrs).get("href"), len(self.parts), self._length))

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _LINE_TAGS or tag in _PARAGRAPH_TAGS:
            self._block(tag)
        elif tag == "a" and self._links:
            href, start, length_before = self._links.pop()
            if href and href.startswith(("http://", "https://")):
                if self._last_text < start:
                    self._append(href)
                elif not self._label_is(href, start, length_before):
                    self._append(f" ({href})")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self._append(_SPACES.sub(" ", data))


def html_to_text(html: str) -> str:
    """Readable plain text: line breaks where the HTML breaks lines, link targets after their labels."""
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    lines = (line.strip() for line in "".join(collector.parts).split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
