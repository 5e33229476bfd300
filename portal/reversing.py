"""``reverse(name, args=[key])`` for the rows of a list at the cost of one ``reverse`` (issue 16).

A list page links every row to its object (50 rows, 50 to 150 ``{% url %}``); each ``reverse``
walks the URL resolver again. The URL of a route with one int or UUID argument differs from row to
row only in that argument, so it is reversed once with a sample key of the same type, split
around it, and each row's URL is the two halves around its own key. Anything else (other key
types, a key with characters a URL would quote, a route the sample does not fit) goes through
``reverse`` as before. ``reverse_key_of`` is the same for the rows of one page, the script prefix
and URLconf (which hold for the whole request) read once instead of for every row.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

_SAMPLES: dict[type, object] = {int: 987654321013,
                                uuid.UUID: uuid.UUID("9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a")}
_PLAIN = re.compile(r"[0-9A-Za-z-]+")
# (route, script prefix, urlconf, key type) -> (before the key, after it); None: use reverse.
_split: dict[tuple[str, str, str, type], tuple[str, str] | None] = {}


def reverse_key(viewname: str, key: object) -> str:
    """``reverse(viewname, args=[key])``, the same string, without walking the resolver for
    every row (see the module docstring)."""
    return reverse_key_of(viewname)(key)


def reverse_key_of(viewname: str) -> Callable[[object], str]:
    """``reverse_key(viewname, key)`` as a function of the key, for the rows of one page in
    the current request: the script prefix and URLconf are read once here (two context-local
    lookups a row before, some 100 a list page, issue 16), each row's URL is its key between
    the route's halves."""
    where = (get_script_prefix(), str(get_urlconf() or settings.ROOT_URLCONF))
    found: dict[type, tuple[str, str] | None] = {}

    def url(key: object) -> str:
        kind = type(key)
        if kind not in found:
            sample = _SAMPLES.get(kind)
            cache_key = (viewname, *where, kind)
            if sample is not None and cache_key not in _split:
                _split[cache_key] = _halves(viewname, sample)
            found[kind] = None if sample is None else _split[cache_key]
        halves = found[kind]
        text = str(key)
        if halves is None or not _PLAIN.fullmatch(text):
            return reverse(viewname, args=[key])
        return f"{halves[0]}{text}{halves[1]}"

    return url


def _halves(viewname: str, sample: object) -> tuple[str, str] | None:
    try:
        url = reverse(viewname, args=[sample])
    except NoReverseMatch:
        return None
    marker = str(sample)
    if url.count(marker) != 1:
        return None
    before, _, after = url.partition(marker)
    return before, after


# (route, script prefix, urlconf) -> URL of a route that takes no argument.
_plain: dict[tuple[str, str, str], str] = {}


def reverse_plain(viewname: str) -> str:
    """``reverse(viewname)`` of an argument-free route, reversed once per script prefix and
    URLconf: the frame's and the menu's links are the same on every page (issue 16)."""
    return reverse_plain_each([viewname])[0]


def reverse_plain_each(viewnames: Iterable[str]) -> list[str]:
    """``reverse_plain`` of each route, the script prefix and URLconf read once for them all
    (each is a context-local read: for the menu's dozen links they cost more than the lookups)."""
    prefix, urlconf = get_script_prefix(), str(get_urlconf() or settings.ROOT_URLCONF)
    urls = []
    for viewname in viewnames:
        cache_key = (viewname, prefix, urlconf)
        url = _plain.get(cache_key)
        if url is None:
            url = _plain[cache_key] = reverse(viewname)
        urls.append(url)
    return urls


def reverse_key_clear() -> None:
    """Forget the split and the plain URLs (after routes change at run time, as tests do)."""
    _split.clear()
    _plain.clear()
