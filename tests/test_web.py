"""Web plumbing: where a "next" address may send someone after signing in or acting."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ismartsync.web import safe_next

SITE = "https://shop.ismartsync.example/sales/7"
DEFAULT = "/"

# Pieces an attacker strings together to leave the site: slashes and backslashes, encoded or not, the characters
# browsers strip from a URL, schemes, hosts and user-info.
HOSTILE_PIECES = [
    "/", "//", "\\", "/\\", "\\/", "%2F", "%2f", "%5C", "%5c", "%09", "%0A", "%0D", "%00", "\t", "\n", "\r", "\x00",
    " ", "\x0b", "\x0c", "\x7f", "\x85", "@", ":", "https:", "http:", "javascript:", "data:", "evil.example",
    "//evil.example", "@evil.example", ".", "..", "?", "#", "%", "%25", "\u3000", "／", "＼",
]


def browser_lands_on(location: str) -> str:
    """The host a browser goes to when it follows `location` from our page, as the WHATWG URL parser reads it:
    leading and trailing C0 controls and spaces dropped, tabs and newlines removed anywhere, "\\" taken as "/"."""
    cleaned = location.strip("".join(map(chr, range(0x21)))).replace("\t", "").replace("\n", "").replace("\r", "")
    return urlsplit(urljoin(SITE, cleaned.replace("\\", "/"))).netloc


def _assert_stays_home(target: str) -> None:
    result = safe_next(target, DEFAULT)
    assert result in (target, DEFAULT)
    assert browser_lands_on(result) == "shop.ismartsync.example", (target, result)
    if result == target:
        assert target.startswith("/") and not target.startswith("//") and "\\" not in target


@given(st.text())
@example("/%09/evil.example")
@example("/\t/evil.example")
@example("/\\evil.example")
@example("/%5Cevil.example")
@example("/%2F%2Fevil.example")
@example("https://evil.example/")
@example("javascript:alert(1)")
@example("/\x00/evil.example")
def test_safe_next_never_leaves_the_site_for_any_text(target):
    _assert_stays_home(target)


# Most hostile targets start like one of our paths, so half of them do.
HOSTILE = st.tuples(
    st.sampled_from(["/", "/", "/", *HOSTILE_PIECES]), st.lists(st.sampled_from(HOSTILE_PIECES), max_size=7)
).map(lambda t: t[0] + "".join(t[1]))


@settings(max_examples=500)
@given(HOSTILE)
def test_safe_next_never_leaves_the_site_for_hostile_pieces(target):
    _assert_stays_home(target)


@pytest.mark.parametrize("path", ["/", "/sales?branch=3&page=2", "/shifts/9/close#count", "/products?q=a%20b"])
def test_safe_next_keeps_our_own_paths(path):
    assert safe_next(path, DEFAULT) == path
