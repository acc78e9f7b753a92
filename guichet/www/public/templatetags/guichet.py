from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.base import NodeList, Parser, Token
from django.template.loader_tags import BlockNode
from django.urls import get_script_prefix, get_urlconf
from django.utils import timezone
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
def population(value, vintage=""):
    """« 4 805 habitants (population municipale, millésime 2026) »; « inconnue » without one."""
    if value is None or value == "":
        return "inconnue"
    where = f", millésime {vintage}" if vintage else ""
    return f"{format_int(int(value))} habitants (population municipale{where})"


def _local(value: dt.datetime) -> dt.datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


# Every date on screen goes through ``rules.timing.french_date``: « 1er décembre 2026 », never
# « 1 décembre » (Django's ``|date:"j F Y"`` has no French ordinal).
@register.filter
def long_date(value):
    """« 1er décembre 2026 », for a date or a moment (its date in the current time zone)."""
    if not value:
        return ""
    if isinstance(value, dt.datetime):
        value = _local(value).date()
    return french_date(value)


@register.filter
def long_datetime(value):
    """« 1er décembre 2026 à 09:05 », in the current time zone (Paris)."""
    if not value:
        return ""
    local = _local(value)
    return f"{french_date(local.date())} à {local:%H:%M}"


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
