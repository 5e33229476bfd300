"""Read a page's forms as a browser would submit them (stdlib HTML parser, no browser).

``page_forms(html)`` lists each <form>: its method, action and the (name, value) pairs its
controls would post (checked boxes, selected options, text and hidden inputs, textareas; not
disabled ones), plus its submit buttons, so a test can press each button of a page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class PageForm:
    method: str
    action: str
    attrs: dict[str, str]
    fields: list[tuple[str, str]] = field(default_factory=list)
    buttons: list[tuple[str, str, str]] = field(default_factory=list)  # (name, value, text)

    def data(self, button: str = "") -> dict[str, list[str]]:
        """What the form posts when the button named ``button`` (or the first) is pressed."""
        posted: dict[str, list[str]] = {}
        for name, value in self.fields:
            posted.setdefault(name, []).append(value)
        for name, value, _ in self.buttons:
            if name and name == button:
                posted.setdefault(name, []).append(value)
        return posted


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[PageForm] = []
        self._form: PageForm | None = None
        self._select: tuple[str, bool] | None = None  # (name, multiple)
        self._options: list[tuple[str, bool]] = []
        self._option_value: str | None = None
        self._textarea: str | None = None
        self._text = ""
        self._button: tuple[str, str] | None = None

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = {k: v or "" for k, v in attrs_list}
        if tag == "form":
            self._form = PageForm(method=attrs.get("method", "get").lower(),
                                  action=attrs.get("action", ""), attrs=attrs)
            self.forms.append(self._form)
            return
        form = self._form
        if form is None or "disabled" in attrs:
            return
        name = attrs.get("name", "")
        if tag == "input":
            kind = attrs.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in attrs and name:
                    form.fields.append((name, attrs.get("value", "on")))
            elif kind == "submit":
                form.buttons.append((name, attrs.get("value", ""), attrs.get("value", "")))
            elif name and kind not in ("button", "reset", "file"):
                form.fields.append((name, attrs.get("value", "")))
        elif tag == "select" and name:
            self._select = (name, "multiple" in attrs)
            self._options = []
        elif tag == "option" and self._select is not None:
            self._option_value = attrs.get("value")
            self._text = ""
            self._options.append((self._option_value or "", "selected" in attrs))
        elif tag == "textarea" and name:
            self._textarea = name
            self._text = ""
        elif tag == "button" and attrs.get("type", "submit").lower() == "submit":
            self._button = (name, attrs.get("value", ""))
            self._text = ""

    def handle_data(self, data: str) -> None:
        self._text += data

    def handle_endtag(self, tag: str) -> None:
        form = self._form
        if tag == "form":
            self._form = None
        elif form is None:
            return
        elif tag == "select" and self._select is not None:
            name, multiple = self._select
            chosen = [v for v, selected in self._options if selected]
            if not chosen and not multiple and self._options:
                chosen = [self._options[0][0]]  # a single select posts its first option
            form.fields.extend((name, v) for v in chosen)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            form.fields.append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None
        elif tag == "button" and self._button is not None:
            form.buttons.append((*self._button, " ".join(self._text.split())))
            self._button = None


def page_forms(html: str) -> list[PageForm]:
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms
