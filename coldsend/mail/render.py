"""Campaign copy rendered the way Instantly renders it: variables, `{{RANDOM | a | b}}` spintax and Liquid.

Templates run in a locked-down Liquid environment: the context holds plain strings and numbers only
(no Python objects whose attributes a template could walk), there is no loader (`include`/`render` are
removed), and loops (their iterations summed over the whole render), output, local variables and
render time are capped. A variable without a value renders empty,
or as its `default:` fallback, never as raw `{{...}}`; it equals `blank` (but, as in Liquid, an empty
string is truthy, so `{% if x != blank %}` is the test for a value, not `{% if x %}`).

A template that does not parse or fails while rendering raises `TemplateError`: the sender treats that
as a permanent failure of the send (state `failed`) rather than mail a lead broken copy.
"""

import hashlib
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar

from liquid import BoundTemplate, Environment, RenderContext
from liquid.builtin.tags.for_tag import ForLoop
from liquid.builtin.tags.tablerow_tag import TableRow
from liquid.exceptions import LiquidError, LoopIterationLimitError

from coldsend.mail.html_text import html_to_text, looks_like_html

SYSTEM_VARIABLES = frozenset(
    {
        "accountSignature",
        "sendingAccountEmail",
        "sendingAccountFirstName",
        "sendingAccountLastName",
        "sendingAccountFullName",
    }
)
_SPINTAX_START = re.compile(r"\{\{\s*random\s*\|", re.IGNORECASE)
MAX_SPINTAX_DEPTH = 5
LOOP_ITERATIONS_LIMIT = 10_000  # over a whole render, every loop counted
RENDER_SECONDS_LIMIT = 1.0
_CACHED_SOURCE_CHARS = 20_000  # longer copy is parsed each time rather than held in the cache


class TemplateError(ValueError):
    """Copy that cannot be rendered; the message says where and why."""


@dataclass(frozen=True, slots=True)
class RenderedCopy:
    subject: str
    html: str
    text: str
    missing: tuple[str, ...]  # variables the copy uses that have no value for this lead


class _Budget:
    """The loop iterations and time one render may still use, over all its loops and nested contexts.

    python-liquid's own loop limit applies to each loop nest alone: 400 loops of 10,000 iterations one
    after another passed it and took seconds.
    """

    __slots__ = ("deadline", "iterations")

    def __init__(self) -> None:
        self.iterations = 0
        self.deadline = time.monotonic() + RENDER_SECONDS_LIMIT

    def metered(self, items: Iterator[Any]) -> Iterator[Any]:
        for item in items:
            self.iterations += 1
            if self.iterations > LOOP_ITERATIONS_LIMIT:
                raise LoopIterationLimitError(
                    f"loops ran more than {LOOP_ITERATIONS_LIMIT} iterations in all", token=None
                )
            if time.monotonic() > self.deadline:
                raise LoopIterationLimitError(f"took more than {RENDER_SECONDS_LIMIT} s", token=None)
            yield item


class _BudgetedContext(RenderContext):
    budget: _Budget

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parent = self.parent_context
        self.budget = parent.budget if isinstance(parent, _BudgetedContext) else _Budget()

    @contextmanager
    def loop(self, namespace: Mapping[str, object], forloop: ForLoop | TableRow) -> Iterator[RenderContext]:
        forloop.it = self.budget.metered(forloop.it)
        with super().loop(namespace, forloop) as context:
            yield context


class _BudgetedTemplate(BoundTemplate):
    context_class = _BudgetedContext


class _SandboxedEnvironment(Environment):
    template_class = _BudgetedTemplate
    loop_iteration_limit: ClassVar[int | None] = LOOP_ITERATIONS_LIMIT
    output_stream_limit: ClassVar[int | None] = 1_000_000
    local_namespace_limit: ClassVar[int | None] = 100_000
    context_depth_limit: ClassVar[int] = 10


def _environment(*, autoescape: bool) -> Environment:
    env = _SandboxedEnvironment(autoescape=autoescape)
    for tag in ("include", "render"):
        env.tags.pop(tag, None)
    return env


_HTML_ENV = _environment(autoescape=True)
_TEXT_ENV = _environment(autoescape=False)


def _choice(seed: str, scope: str, index: int, options: list[str]) -> str:
    digest = hashlib.sha256(f"{seed}\0{scope}\0{index}".encode()).digest()
    return options[int.from_bytes(digest[:8], "big") % len(options)]


def _spintax_options(source: str, start: int) -> tuple[list[str], int] | None:
    """The `|`-separated options after `{{RANDOM |` and the index past the closing `}}`.

    Options may hold `{{variables}}` (with their own filters), so `|` and `}}` only count at depth 0.
    """
    options: list[str] = []
    depth = 0
    option_start = index = start
    while index < len(source):
        pair = source[index : index + 2]
        if pair == "{{":
            depth += 1
            index += 2
        elif pair == "}}":
            if depth == 0:
                options.append(source[option_start:index].strip())
                return options, index + 2
            depth -= 1
            index += 2
        elif source[index] == "|" and depth == 0:
            options.append(source[option_start:index].strip())
            option_start = index = index + 1
        else:
            index += 1
    return None


def _spintaxes(source: str, depth: int) -> Iterator[tuple[int, int, list[str]]]:
    """(start, end, options) of each top-level `{{RANDOM | ...}}`, in order."""
    if depth > MAX_SPINTAX_DEPTH:
        raise TemplateError(f"spintax nested more than {MAX_SPINTAX_DEPTH} deep")
    position = 0
    while match := _SPINTAX_START.search(source, position):
        found = _spintax_options(source, match.end())
        if found is None:
            return  # unterminated: Liquid reports it as a syntax error
        options, end = found
        yield match.start(), end, options
        position = end


def resolve_spintax(source: str, *, seed: str, scope: str = "", depth: int = 0) -> str:
    """Each `{{RANDOM | ...}}` replaced by one of its options, chosen by `seed` (so retries match)."""
    parts: list[str] = []
    position = 0
    for count, (start, end, options) in enumerate(_spintaxes(source, depth)):
        chosen = _choice(seed, scope, count, options)
        parts.append(source[position:start])
        parts.append(resolve_spintax(chosen, seed=seed, scope=f"{scope}/{count}", depth=depth + 1))
        position = end
    parts.append(source[position:])
    return "".join(parts)


def _all_spintax_options(source: str, depth: int = 0) -> str:
    """Every option of every spintax side by side, so analysis sees each variable any option uses."""
    parts: list[str] = []
    position = 0
    for start, end, options in _spintaxes(source, depth):
        parts.append(source[position:start])
        parts.extend(_all_spintax_options(option, depth + 1) for option in options)
        position = end
    parts.append(source[position:])
    return " ".join(parts)


def _parse_uncached(source: str, autoescape: bool) -> BoundTemplate:
    env = _HTML_ENV if autoescape else _TEXT_ENV
    try:
        return env.from_string(source)
    except LiquidError as error:
        raise TemplateError(f"copy does not parse: {error.message}") from None


_parse_cached = lru_cache(maxsize=2048)(_parse_uncached)


def _parse(source: str, autoescape: bool) -> BoundTemplate:
    if len(source) > _CACHED_SOURCE_CHARS:
        return _parse_uncached(source, autoescape)
    return _parse_cached(source, autoescape)


def _used_in_uncached(source: str) -> frozenset[str]:
    template = _parse(_all_spintax_options(source), False)
    try:
        analysis = template.analyze()
    except LiquidError as error:
        raise TemplateError(f"copy does not parse: {error.message}") from None
    for name in analysis.filters:
        if name not in _TEXT_ENV.filters:
            raise TemplateError(f"copy does not parse: unknown filter '{name}'")
    return frozenset(name.split(".")[0].split("[")[0] for name in analysis.globals)


_used_in_cached = lru_cache(maxsize=2048)(_used_in_uncached)


def _used_in(source: str) -> frozenset[str]:
    return _used_in_uncached(source) if len(source) > _CACHED_SOURCE_CHARS else _used_in_cached(source)


def _render(source: str, variables: Mapping[str, object], *, autoescape: bool) -> str:
    try:
        return _parse(source, autoescape).render(variables)  # a dict, not kwargs: keys are user data
    except LiquidError as error:
        raise TemplateError(f"copy does not render: {error.message}") from None


def _as_html(body: str) -> str:
    """Copy written as plain text gets `<br/>` line breaks, as Instantly's editor would have stored it."""
    return body if looks_like_html(body) else body.replace("\r\n", "\n").replace("\n", "<br/>\n")


def _has_value(value: object) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def used_variables(*sources: str) -> frozenset[str]:
    """Names of the variables the copy refers to (in any branch, any spintax option)."""
    names: set[str] = set()
    for source in sources:
        names |= _used_in(source)
    return frozenset(names)


def missing_variables(used: Iterable[str], variables: Mapping[str, object]) -> tuple[str, ...]:
    """The used variables that have no value (absent, empty or blank), sorted."""
    return tuple(sorted(name for name in used if not _has_value(variables.get(name))))


def validate_template(source: str) -> None:
    """Raise `TemplateError` if a subject or body does not parse (or uses an unknown filter)."""
    used_variables(source)


def validate_copy(subject: str, body: str) -> None:
    """Raise `TemplateError` if the copy cannot be rendered: for checking copy when it is saved."""
    used_variables(subject, _as_html(body))


def render_copy(subject: str, body: str, variables: Mapping[str, object], *, seed: str) -> RenderedCopy:
    """Subject, HTML and text of one email; the same `seed` always picks the same spintax options."""
    body_source = _as_html(body)
    missing = missing_variables(used_variables(subject, body_source), variables)
    # python-liquid's `blank` does not match nil or undefined: a value-less variable becomes an empty
    # string, so `!= blank` and `default:` both see it as empty.
    context = {**variables, **dict.fromkeys(missing, "")}
    html = _render(resolve_spintax(body_source, seed=seed, scope="body"), context, autoescape=True)
    rendered_subject = _render(
        resolve_spintax(subject, seed=seed, scope="subject"), context, autoescape=False
    )
    return RenderedCopy(
        subject=" ".join(rendered_subject.split()),
        html=html,
        text=html_to_text(html),
        missing=missing,
    )
