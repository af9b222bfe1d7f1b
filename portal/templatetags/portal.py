"""Template filters for the portal's pages: `{% load portal %}`."""

from django import template

from lib.identifiers import grouped_orgno

register = template.Library()


@register.filter
def orgno(value) -> str:
    """An org number in groups of three, as Altinn shows it: {{ party.orgno|orgno }} → "311 000 004"."""
    return grouped_orgno(str(value or ""))
