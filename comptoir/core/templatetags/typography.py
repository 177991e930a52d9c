"""comptoir.core.typography in templates: ``{% load typography %}``.

``{{ label }}{% colon %} {{ value }}`` for a label joined to its value on the page;
``{{ text|french_spacing }}`` for words put together at run time (markup stays as it is);
``{{ name|in_sentence }}`` for a language's name inside a sentence; ``{{ bytes|file_size }}``.
"""

from __future__ import annotations

from django import template
from django.template.defaultfilters import stringfilter

from comptoir.core import typography

register = template.Library()


@register.simple_tag
def colon() -> str:
    return typography.colon()


@register.filter(is_safe=True)
@stringfilter
def french_spacing(text: str) -> str:
    # is_safe: only spaces are added, so safe markup stays safe and plain text is escaped as before.
    return typography.french_spacing(text)


@register.filter(is_safe=True)
@stringfilter
def in_sentence(name: str) -> str:
    return typography.in_sentence(name)


@register.filter
def file_size(size: int | None) -> str:
    return typography.file_size(int(size or 0))
