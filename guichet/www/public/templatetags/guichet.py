from __future__ import annotations

from typing import Any

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.base import NodeList, Parser, Token
from django.template.loader_tags import BlockNode
from django.urls import get_script_prefix, get_urlconf
from django.utils.safestring import SafeString, mark_safe

from guichet.rules.money import format_euros, format_int
from guichet.rules.timing import french_date

register = template.Library()


@register.filter
def euros(value):
    return "" if value is None or value == "" else format_euros(value)


@register.filter
def inhabitants(value):
    return "" if value is None else format_int(int(value))


@register.filter
def long_date(value):
    return "" if not value else french_date(value)


@register.filter
def get_quote(rules_map, rule_id):
    text = rules_map.get(rule_id)
    return text.quote if text else ""


# --------------------------------------------------------------------------------------------
# Page chrome rendered once per process


# Bumped when a setting changes (tests' override_settings): every chrome fragment renders again.
_generation = 0


@receiver(setting_changed)
def _forget_chrome(**kwargs: Any) -> None:
    global _generation
    _generation += 1


class ChromeNode(template.Node):
    """Renders its content once, then returns the same string on every request.

    Only for markup that depends on nothing but settings (``SITE_CONFIG`` comes from
    ``settings.GUICHET``), static file URLs and URL reversing: the DSFR head, the header brand,
    the footer. The output is kept per URLconf and script prefix (what ``{% url %}`` depends
    on) and forgotten when a setting changes. Nothing that depends on the request, the user or
    the page may go inside; ``{% block %}`` tags may not either (the first page rendered would
    decide for all).
    """

    # Nothing inside is a block: template inheritance need not walk the content on each render.
    child_nodelists = ()

    def __init__(self, name: str, nodelist: NodeList) -> None:
        self.name = name
        self.nodelist = nodelist
        self.rendered: dict[tuple[int, str | None, str], SafeString] = {}

    def render(self, context: template.Context) -> SafeString:
        key = (_generation, get_urlconf(), get_script_prefix())
        html = self.rendered.get(key)
        if html is None:
            html = mark_safe(self.nodelist.render(context))
            if len(self.rendered) > 16:
                self.rendered.clear()
            self.rendered[key] = html
        return html


@register.tag
def chrome(parser: Parser, token: Token) -> ChromeNode:
    """``{% chrome "name" %}…{% endchrome %}``: see ``ChromeNode``."""
    bits = token.split_contents()
    if len(bits) != 2 or bits[1][0] not in "\"'" or bits[1][0] != bits[1][-1]:
        raise template.TemplateSyntaxError('Usage : {% chrome "nom" %}…{% endchrome %}')
    nodelist = parser.parse(("endchrome",))
    parser.delete_first_token()
    if nodelist.get_nodes_by_type(BlockNode):
        raise template.TemplateSyntaxError("{% chrome %} ne peut pas contenir de {% block %}.")
    return ChromeNode(bits[1][1:-1], nodelist)
