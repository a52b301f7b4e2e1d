"""Template filters for what differs by language: names with a stored English form, lists,
money, and Chinese data on English pages (marked lang="zh-Hans" so readers, screen readers
and the pages' tests tell it from the interface)."""

import re

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString

from portal import i18n

register = template.Library()

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")


def _mark(text: str) -> SafeString:
    if not text:
        return SafeString("")
    if not i18n.is_chinese() and CJK.search(str(text)):
        return format_html('<span lang="zh-Hans">{}</span>', text)
    return conditional_escape(text)


@register.filter
def local_name(obj, field: str = "name") -> SafeString:
    """``{{ instrument|local_name }}``: name_en on English pages where stored, else the name,
    marked as Chinese data."""
    return _mark(i18n.local_name(obj, field))


@register.filter
def local_name_text(obj, field: str = "name") -> str:
    """The same as plain text, for attributes and titles."""
    return i18n.local_name(obj, field)


@register.filter
def data(value) -> SafeString:
    """User or catalogue text: shown as it is, marked as Chinese on English pages."""
    return _mark("" if value is None else str(value))


@register.filter
def join_list(items) -> str:
    return i18n.join_list(items or [])


@register.filter
def yuan(value) -> str:
    return i18n.yuan(value)


@register.filter
def wan_yuan(value) -> str:
    return i18n.wan_yuan(value)


@register.filter
def person(user) -> SafeString:
    """A person's display name (data: never translated), marked as such."""
    if user is None:
        return SafeString("")
    return _mark(user.get_full_name() or user.username)
