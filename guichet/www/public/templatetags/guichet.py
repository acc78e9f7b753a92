from django import template

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
