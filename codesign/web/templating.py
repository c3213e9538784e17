"""Jinja2 environment, per-request translations and rendering.

Pages and their htmx fragments come from the same template: a fragment is a
named block of the page, rendered on its own.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Hashable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from babel.dates import format_time
from babel.numbers import format_decimal
from markdown_it import MarkdownIt
from markupsafe import Markup

from codesign.i18n import formatting_locale, language_name, text_direction, translations_for
from codesign.settings import project_dir

# CommonMark without raw HTML: organizers' Markdown can never inject markup.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_markdown.disable("image")


def render_markdown(text: str) -> Markup:
    # markdown-it escapes all text and raw HTML is switched off above.
    return Markup(_markdown.render(text))  # noqa: S704  # nosec B704


@jinja2.pass_context
def _gettext(context: jinja2.runtime.Context, message: str) -> str:
    return context["translations"].gettext(message)


@jinja2.pass_context
def _ngettext(context: jinja2.runtime.Context, singular: str, plural: str, n: int) -> str:
    return context["translations"].ngettext(singular, plural, n)


@jinja2.pass_context
def _pgettext(context: jinja2.runtime.Context, ctx: str, message: str) -> str:
    return context["translations"].pgettext(ctx, message)


@jinja2.pass_context
def _npgettext(
    context: jinja2.runtime.Context, ctx: str, singular: str, plural: str, n: int
) -> str:
    return context["translations"].npgettext(ctx, singular, plural, n)


@jinja2.pass_context
def _localised(context: jinja2.runtime.Context, params: Mapping[str, Any]) -> dict[str, Any]:
    """Numbers in message parameters, written the participant's way (5,000 / 5 000)."""
    return {
        key: format_decimal(value, locale=context["locale"]) if isinstance(value, int) else value
        for key, value in params.items()
    }


@jinja2.pass_context
def _language_in_sentence(context: jinja2.runtime.Context, locale: str) -> str:
    """A language's name in the reader's language, for use inside a sentence
    ("باللغة الإنجليزية", "en inglés"), where the name in itself ("English") would be a
    foreign word, and in Arabic a left-to-right one."""
    return _language_name_in(locale, context["locale"])


@functools.lru_cache(maxsize=64)
def _language_name_in(locale: str, reader: str) -> str:
    from babel import Locale

    return Locale.parse(locale).get_display_name(reader) or language_name(locale)


def _bdi(value: object) -> Markup:
    """Text from the round or from people (a theme's name, a prompt) set apart from the
    sentence around it, so an English name inside an Arabic sentence keeps its own
    direction and does not drag the quotes and full stop along with it."""
    return Markup("<bdi>{}</bdi>").format(value)


@jinja2.pass_context
def _localised_number(context: jinja2.runtime.Context, value: int) -> str:
    return format_decimal(value, locale=context["locale"])


@jinja2.pass_context
def _localised_time(context: jinja2.runtime.Context, value: datetime) -> str:
    round_ = context.get("round")
    zone = round_.timezone if round_ is not None else "UTC"
    # The round's region decides the clock ("GB": 08:09; "en" alone: 8:09 AM).
    where = formatting_locale(context["locale"], round_.region if round_ is not None else "")
    # Short times show minutes only; every autosave in the same minute reuses the text.
    return _short_time(value.replace(second=0, microsecond=0), zone, where)


@functools.lru_cache(maxsize=512)
def _short_time(value: datetime, zone: str, locale: str) -> str:
    return format_time(value, format="short", tzinfo=ZoneInfo(zone), locale=locale)


def static_version(static_dir: Path) -> str:
    """A short hash of every static file: new assets get new URLs, old ones cache forever."""
    digest = hashlib.sha256()
    for path in sorted(static_dir.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(static_dir).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


#: Fragments kept by `Renderer.render(..., cache_key=...)`; emptied when it fills.
FRAGMENT_CACHE_SIZE = 512


class Renderer:
    def __init__(self, templates_dir: Path | None = None, static_dir: Path | None = None) -> None:
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(templates_dir or project_dir("templates"))),
            autoescape=True,
            auto_reload=False,  # templates ship with the code; no stat() per render
            extensions=["jinja2.ext.i18n"],
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.install_gettext_callables(  # type: ignore[attr-defined]
            _gettext, _ngettext, newstyle=True, pgettext=_pgettext, npgettext=_npgettext
        )
        self.env.filters["markdown"] = render_markdown
        self.env.filters["localised"] = _localised
        self.env.filters["localised_number"] = _localised_number
        self.env.filters["bdi"] = _bdi
        self.env.filters["localised_time"] = _localised_time
        self.static_version = static_version(static_dir or project_dir("static"))
        self.env.globals["static"] = self.static_url
        self.env.globals["language_name"] = language_name
        self.env.globals["language_in_sentence"] = _language_in_sentence
        self._fragments: dict[tuple[Hashable, ...], str] = {}
        self.env.globals["direction"] = text_direction

    def static_url(self, name: str) -> str:
        return f"/static/{self.static_version}/{name}"

    def context(self, locale: str, extra: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "locale": locale,
            "dir": text_direction(locale),
            "translations": translations_for(locale),
            "now": datetime.now(),
            **extra,
        }

    def cached(self, name: str, locale: str, block: str | None, key: Hashable) -> str | None:
        """A fragment rendered before with the same `cache_key` (see `render`), or None."""
        return self._fragments.get((name, block, locale, key))

    def render(
        self,
        name: str,
        locale: str,
        context: Mapping[str, Any],
        block: str | None = None,
        *,
        cache_key: Hashable = None,
    ) -> str:
        """Render a page, or one block of it.

        `cache_key`: the caller's promise that the output depends on nothing but the
        template, block, locale and this key (for the autosave status, rendered on
        every save: the same few words for everyone saving in the same minute).
        """
        if cache_key is not None:
            found = self.cached(name, locale, block, cache_key)
            if found is None:
                found = self.render(name, locale, context, block)
                if len(self._fragments) >= FRAGMENT_CACHE_SIZE:
                    self._fragments.clear()
                self._fragments[(name, block, locale, cache_key)] = found
            return found
        template = self.env.get_template(name)
        full = self.context(locale, context)
        if block is None:
            return template.render(full)
        render_block = template.blocks[block]
        return "".join(render_block(template.new_context(full)))
