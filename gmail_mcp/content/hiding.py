"""What a reader of an HTML email never sees, decided from its inline styles and its style rules.

Hidden text is where prompt injections and spam filler live: the person sees one message, the
model would read another. Two kinds of hiding are told apart:

- **Whole elements** no one sees or clicks: `display:none`, `visibility:hidden`, `opacity:0`
  (or `filter: opacity(0)`), `mso-hide:all`, the `hidden` attribute, a height or width of at most
  1px with overflow hidden, a degenerate `clip`/`clip-path`, `transform: scale(0)`, off-screen
  positioning or margins. They go with everything inside.
- **Text runs** drawn invisibly: `font-size` of 2px or less, `line-height:0`, transparent text
  (`color` or `-webkit-text-fill-color`), text coloured like what is behind it, a far-off
  `text-indent`. Only the text goes: mail sets
  `font-size:0` on cells to remove the gaps between images, and the images, their links and
  their alt text are real content (dropping such cells whole lost real links). A link's own label
  survives the colour rule: a white button label usually sits on a background image or a
  class-styled colour this module cannot see.

Styles come from the `style` attribute and from the rules of top-level `<style>` blocks (any
selector the parser knows, pseudo-classes aside); `@media` blocks are ignored (they apply to some
screens only). Specificity is approximated: a later rule beats an earlier one, inline beats rules
unless a rule is `!important`.
Pure functions over a selectolax tree; nothing here does I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from selectolax.lexbor import LexborHTMLParser, LexborNode

__all__ = ["Hidden", "find_hidden"]

Declarations = dict[str, tuple[str, bool]]  # property -> (value, !important)
Rgba = tuple[int, int, int, float]

_RULE = re.compile(r"([^{}@;]+)\{([^{}]*)\}")
_AT_BLOCK = re.compile(r"@[^{]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}")
_LENGTH = re.compile(r"(-?\d*\.?\d+)\s*([a-z%]*)")
_WATCHED = (
    "display",
    "visibility",
    "opacity",
    "mso-hide",
    "overflow",
    "overflow-x",
    "overflow-y",
    "height",
    "max-height",
    "width",
    "max-width",
    "clip",
    "clip-path",
    "transform",
    "position",
    "top",
    "left",
    "right",
    "bottom",
    "font-size",
    "line-height",
    "color",
    "background",
    "background-color",
    "background-image",
    "text-indent",
    "margin-left",
    "margin-top",
    "filter",
    "-webkit-text-fill-color",
)
_NAMED: dict[str, Rgba] = {
    "white": (255, 255, 255, 1.0),
    "black": (0, 0, 0, 1.0),
    "silver": (192, 192, 192, 1.0),
    "gray": (128, 128, 128, 1.0),
    "grey": (128, 128, 128, 1.0),
    "red": (255, 0, 0, 1.0),
    "green": (0, 128, 0, 1.0),
    "blue": (0, 0, 255, 1.0),
    "navy": (0, 0, 128, 1.0),
    "yellow": (255, 255, 0, 1.0),
    "whitesmoke": (245, 245, 245, 1.0),
    "snow": (255, 250, 250, 1.0),
    "ivory": (255, 255, 240, 1.0),
    "transparent": (0, 0, 0, 0.0),
}
_WHITE: Rgba = (255, 255, 255, 1.0)
_TINY_PX = 2  # text this small is unreadable: 0 and 1px hide text, 2px does as well
# Sizes that do not depend on the parent's (a tiny parent does not make them tiny).
_FONT_KEYWORDS = frozenset(
    {"xx-small", "x-small", "small", "medium", "large", "x-large", "xx-large", "initial", "unset", "revert"}
)
_PX_PER = {
    "px": 1.0,
    "": 1.0,
    "pt": 4 / 3,
    "pc": 16.0,
    "in": 96.0,
    "cm": 96 / 2.54,
    "mm": 96 / 25.4,
    "rem": 16.0,
}


@dataclass(frozen=True)
class Hidden:
    """Elements to remove with their content, and text runs to remove alone."""

    elements: list[LexborNode]
    texts: list[LexborNode]


@dataclass(frozen=True)
class _Inherited:
    """What a text run inherits from its ancestors, as far as visibility goes."""

    tiny_font: bool = False
    zero_line: bool = False
    far_indent: bool = False
    color: Rgba | None = None  # None: never declared (mail apps' default suits any background) or unreadable
    background: Rgba | None = _WHITE  # None: unknown (an image, a gradient, a class we cannot see)
    in_link: bool = False

    def hides_text(self) -> bool:
        if self.tiny_font or self.zero_line or self.far_indent:
            return True
        if self.color is None:
            return False
        if self.color[3] <= 0.05:
            return True  # transparent text is invisible on any background, a link's as well
        return not self.in_link and self.background is not None and _alike(self.color, self.background)


def find_hidden(tree: LexborHTMLParser) -> Hidden:
    """The elements and text runs of `tree` that a reader cannot see (see the module docstring)."""
    root = tree.root
    if root is None:
        return Hidden([], [])
    rules, unseen_backgrounds = _style_rules(tree)
    elements: list[LexborNode] = []
    texts: list[LexborNode] = []
    stack: list[tuple[LexborNode, _Inherited]] = [(root, _Inherited())]
    while stack:
        node, inherited = stack.pop()
        for child in _children(node):
            if child.is_text_node:
                if inherited.hides_text() and (child.text_content or "").strip():
                    texts.append(child)
                continue
            if not child.is_element_node:
                continue
            style = _declarations(child, rules)
            if "hidden" in child.attributes or _hides_element(style):
                elements.append(child)
                continue
            stack.append((child, _inherit(child, style, inherited, unseen_backgrounds)))
    return Hidden(elements, texts)


def _children(node: LexborNode) -> Iterator[LexborNode]:
    child = node.child
    while child is not None:
        yield child
        child = child.next


# --- style sources ---------------------------------------------------------------------------------


def parse_declarations(css: str) -> Declarations:
    """`a: b; c: d !important` as {"a": ("b", False), "c": ("d", True)}, names and values lowercased."""
    declarations: Declarations = {}
    for declaration in css.split(";"):
        name, sep, value = declaration.partition(":")
        if sep:
            value = value.strip().lower()
            important = value.endswith("!important")
            declarations[name.strip().lower()] = (value.removesuffix("!important").strip(), important)
    return declarations


def _style_rules(tree: LexborHTMLParser) -> tuple[dict[int, Declarations], bool]:
    """Declarations of style rules, by element, and whether some background rule could not be
    placed (a pseudo-class or a selector the parser refuses): then the colour behind
    class-styled text is unknown."""
    by_element: dict[int, Declarations] = {}
    unseen_backgrounds = False
    for style in tree.css("style"):
        css = re.sub(r"/\*.*?\*/", "", style.text(), flags=re.S)
        css = _AT_BLOCK.sub("", css)
        for match in _RULE.finditer(css):
            declarations = {k: v for k, v in parse_declarations(match.group(2)).items() if k in _WATCHED}
            if not declarations:
                continue
            for selector in map(str.strip, match.group(1).split(",")):
                try:  # pseudo-classes (:hover) apply only sometimes: not taken as static
                    elements = tree.css(selector) if selector and ":" not in selector else None
                except Exception:  # selectolax.lexbor.SelectolaxError: a selector it cannot parse
                    elements = None
                if elements is None:
                    painted = any(k.startswith("background") for k in declarations)
                    unseen_backgrounds = unseen_backgrounds or painted
                    continue
                for element in elements:
                    merged = by_element.setdefault(element.mem_id, {})
                    for name, (value, important) in declarations.items():
                        if important or not merged.get(name, ("", False))[1]:
                            merged[name] = (value, important)
    return by_element, unseen_backgrounds


def _declarations(node: LexborNode, rules: dict[int, Declarations]) -> dict[str, str]:
    """The element's effective declarations: its rules, then its inline style (unless !important)."""
    ruled = rules.get(node.mem_id, {})
    inline = parse_declarations(node.attributes.get("style") or "")
    merged = {name: value for name, (value, _) in ruled.items()}
    for name, (value, _) in inline.items():
        if not ruled.get(name, ("", False))[1]:
            merged[name] = value
    return merged


# --- whole elements ------------------------------------------------------------------------------


def _hides_element(style: dict[str, str]) -> bool:
    if style.get("display") == "none" or style.get("visibility") in ("hidden", "collapse"):
        return True
    if style.get("mso-hide") == "all":
        return True
    opacity = _number(style.get("opacity", ""))
    if opacity is not None and opacity <= (5 if style.get("opacity", "").endswith("%") else 0.05):
        return True
    overflow = {style.get(k, "") for k in ("overflow", "overflow-x", "overflow-y")}
    if overflow & {"hidden", "clip"} and any(
        (size := _px(style.get(k, ""))) is not None and size <= 1
        for k in ("height", "max-height", "width", "max-width")
    ):
        return True
    if re.search(r"opacity\(\s*0*(\.0*)?%?\s*\)", style.get("filter", "")):
        return True
    return _clipped(style) or _scaled_away(style) or _off_screen(style) or _pushed_away(style)


def _clipped(style: dict[str, str]) -> bool:
    """`clip: rect(...)` of no more than a pixel, or `clip-path` leaving nothing to see."""
    clip = style.get("clip", "")
    if clip.startswith("rect(") and style.get("position") in ("absolute", "fixed"):
        sizes = [_px(v) for v in re.split(r"[\s,]+", clip[5:].rstrip(")").strip())]
        if len(sizes) == 4 and None not in sizes:
            top, right, bottom, left = (s or 0.0 for s in sizes)
            if bottom - top <= 1 or right - left <= 1:
                return True
    path = style.get("clip-path", "")
    inset = re.fullmatch(r"inset\(\s*(\d+(?:\.\d+)?)%.*\)", path)
    if inset and float(inset.group(1)) >= 50:
        return True
    return bool(re.fullmatch(r"(circle|ellipse)\(\s*0+(\.0+)?(px|%)?\b.*\)", path))


def _scaled_away(style: dict[str, str]) -> bool:
    transform = style.get("transform", "")
    if re.search(r"scale[xy]?\(\s*0+(\.0+)?\s*[,)]", transform):
        return True
    return any(
        (value := _px(move)) is not None and value <= -1000
        for move in re.findall(r"translate[xy]?\(\s*([^,)\s]+)", transform)
    )


def _off_screen(style: dict[str, str]) -> bool:
    """Positioned far to the top or left (negative offsets of 100px or more), out of the window."""
    if style.get("position") not in ("absolute", "fixed", "relative"):
        return False
    for side in ("top", "left"):
        offset = _px(style.get(side, ""))
        if offset is not None and offset <= -100:
            return True
    for side in ("right", "bottom"):
        offset = _px(style.get(side, ""))
        if offset is not None and offset >= 5000:  # pushed far to the left or top
            return True
    return False


def _pushed_away(style: dict[str, str]) -> bool:
    """A margin pulling the element a thousand pixels or more out to the top or left."""
    return any(
        (margin := _px(style.get(side, ""))) is not None and margin <= -1000
        for side in ("margin-left", "margin-top")
    )


# --- text runs -----------------------------------------------------------------------------------


def _inherit(node: LexborNode, style: dict[str, str], parent: _Inherited, unseen: bool) -> _Inherited:
    changes: dict[str, object] = {}
    if "font-size" in style:
        changes["tiny_font"] = _tiny_font(style["font-size"], parent.tiny_font)
    if "line-height" in style:
        changes["zero_line"] = _px(style["line-height"]) == 0
    if "text-indent" in style:
        indent = _px(style["text-indent"])
        changes["far_indent"] = indent is not None and (indent <= -100 or indent >= 1000)
    color = (
        style.get("-webkit-text-fill-color")  # paints over `color` in WebKit and Blink mail apps
        or style.get("color")
        or (node.attributes.get("color") if node.tag == "font" else None)
        or (node.attributes.get("text") if node.tag == "body" else None)
    )
    if color:
        changes["color"] = _color(color)
    background = _background(node, style)
    if background is not _KEEP:
        changes["background"] = background
    elif unseen and node.attributes.get("class"):
        changes["background"] = None  # a rule we could not place may paint behind this element
    if node.tag == "a":
        changes["in_link"] = True
    return replace(parent, **changes) if changes else parent  # type: ignore[arg-type]


_KEEP: Rgba = (-1, -1, -1, -1.0)  # the element paints no background: the parent's shows through


def _background(node: LexborNode, style: dict[str, str]) -> Rgba | None:
    if node.attributes.get("background") or style.get("background-image", "none") != "none":
        return None  # an image: any text colour may be readable on it
    for value in (style.get("background-color"), style.get("background"), node.attributes.get("bgcolor")):
        if not value:
            continue
        if "url(" in value or "gradient(" in value:
            return None
        if value.strip() in ("none", "transparent", "inherit", "initial", "unset"):
            return _KEEP
        first = _color(value.split()[0] if not value.startswith(("rgb", "hsl")) else value)
        if first is None:
            return None
        return _KEEP if first[3] <= 0.05 else first
    return _KEEP


def _tiny_font(value: str, parent_tiny: bool) -> bool:
    match = _LENGTH.fullmatch(value.strip())
    if not match:
        return parent_tiny and value not in _FONT_KEYWORDS
    number, unit = float(match.group(1)), match.group(2)
    if unit in ("em", "ex", "ch"):  # relative to the parent's size, taken as 16px unless tiny
        return parent_tiny or number * 16 <= _TINY_PX
    if unit == "%":
        return parent_tiny or number * 0.16 <= _TINY_PX
    px = _px(value)
    return px is not None and px <= _TINY_PX


def _color(value: str) -> Rgba | None:
    """A CSS colour as (r, g, b, alpha); None when this module cannot read it."""
    value = value.strip().lower()
    if value in _NAMED:
        return _NAMED[value]
    if value.startswith("#"):
        digits = value[1:]
        if len(digits) in (3, 4) and re.fullmatch(r"[0-9a-f]+", digits):
            digits = "".join(d * 2 for d in digits)
        if len(digits) in (6, 8) and re.fullmatch(r"[0-9a-f]+", digits):
            alpha = int(digits[6:8], 16) / 255 if len(digits) == 8 else 1.0
            return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16), alpha)
        return None
    match = re.fullmatch(r"rgba?\((.*)\)", value)
    if match is None:
        return None  # hsl(), system colours, currentcolor: not judged
    parts = [p for p in re.split(r"[\s,/]+", match.group(1)) if p]
    if len(parts) not in (3, 4):
        return None
    try:
        r, g, b = (round(float(c[:-1]) * 2.55) if c.endswith("%") else round(float(c)) for c in parts[:3])
        alpha = 1.0 if len(parts) == 3 else _alpha(parts[3])
    except ValueError:
        return None
    return (r, g, b, alpha)


def _alpha(text: str) -> float:
    return float(text[:-1]) / 100 if text.endswith("%") else float(text)


def _alike(text: Rgba, background: Rgba) -> bool:
    """Colours no eye tells apart: every channel within 8 of the other's."""
    return all(abs(a - b) <= 8 for a, b in zip(text[:3], background[:3], strict=True))


def _number(value: str) -> float | None:
    try:
        return float(value.rstrip("%").strip())
    except ValueError:
        return None


def _px(value: str) -> float | None:
    """A CSS length in pixels (em and % count as 16px and 1px each unit: only signs and zero matter
    for them here); None when it is no length."""
    match = _LENGTH.fullmatch(value.strip())
    if not match:
        return None
    number, unit = float(match.group(1)), match.group(2)
    if unit in ("em", "ex", "ch", "vw", "vh"):
        return number * 16
    if unit == "%":
        return number
    factor = _PX_PER.get(unit)
    return number * factor if factor is not None else None
