"""Reading HTML responses the way a person reads the screen: an element by id, its text, links, forms."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Finder(HTMLParser):
    """Collects the source of the first element whose `id` matches, with everything inside it."""

    def __init__(self, element_id: str) -> None:
        super().__init__(convert_charrefs=False)
        self.element_id = element_id
        self.depth = 0
        self.parts: list[str] = []
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.done:
            return
        if self.depth == 0 and dict(attrs).get("id") == self.element_id:
            self.depth = 1 if tag not in VOID else 0
            self.parts.append(self.get_starttag_text() or "")
            self.done = self.depth == 0
            return
        if self.depth:
            self.parts.append(self.get_starttag_text() or "")
            if tag not in VOID:
                self.depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth:
            self.parts.append(self.get_starttag_text() or "")
        elif not self.done and dict(attrs).get("id") == self.element_id:
            self.parts.append(self.get_starttag_text() or "")
            self.done = True

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag not in VOID:
            self.parts.append(f"</{tag}>")
            self.depth -= 1
            self.done = self.depth == 0

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.parts.append(data)

    def handle_entityref(self, name: str) -> None:
        if self.depth:
            self.parts.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        if self.depth:
            self.parts.append(f"&#{name};")


def element(html: str, element_id: str) -> str | None:
    """The source of the element with this id (and its content), or None when there is none."""
    finder = _Finder(element_id)
    finder.feed(html)
    return "".join(finder.parts) if finder.parts else None


def text(html: str) -> str:
    """Visible text, whitespace collapsed."""
    without_tags = re.sub(r"<[^>]+>", " ", html)
    return " ".join(unescape(without_tags).split())


def text_of(html: str, element_id: str) -> str:
    """Visible text of the element with this id; fails the test when the element is missing."""
    found = element(html, element_id)
    assert found is not None, f'no element with id="{element_id}" in the page'
    return text(found)


def hrefs(html: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'href="([^"]*)"', html)]


def links_to(html: str, element_id: str) -> list[str]:
    """The link targets inside one element (a nav bar, a list)."""
    found = element(html, element_id)
    return hrefs(found) if found else []


def is_fragment(html: str) -> bool:
    """An htmx fragment: no document around it."""
    return "<html" not in html and "<body" not in html


def _main_nav(html: str) -> str:
    match = re.search(r'<nav[^>]*aria-label="Main"[^>]*>(.*?)</nav>', html, re.S)
    return match.group(1) if match else ""


def nav_labels(html: str) -> list[str]:
    """The entries of the main navigation bar, as shown."""
    return [text(a) for a in re.findall(r"<a\b[^>]*>(.*?)</a>", _main_nav(html), re.S)]


def nav_links(html: str) -> list[str]:
    """Where the entries of the main navigation bar lead."""
    return hrefs(_main_nav(html))


def field_text(html: str, name: str) -> str:
    """Everything shown in a form field's box (label, input, hint and its error message)."""
    return text_of(html, f"field-{name}")


def link_path(body: str, prefix: str) -> str:
    """The path of the link in an email body that starts with `prefix` ("/invite/", "/password/reset/")."""
    match = re.search(r"https?://[^/\s]+(" + re.escape(prefix) + r"\S+)", body)
    assert match, f"no {prefix} link in:\n{body}"
    return match.group(1)
