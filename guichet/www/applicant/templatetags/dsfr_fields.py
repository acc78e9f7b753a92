"""Render a form field with DSFR markup, its error at the field, whatever its widget."""

from __future__ import annotations

from django import forms, template

register = template.Library()


@register.filter
def field_kind(bound_field: forms.BoundField) -> str:
    widget = bound_field.field.widget
    if isinstance(widget, forms.Textarea):
        return "textarea"
    # CheckboxSelectMultiple is a RadioSelect to Django: ask for it first.
    if isinstance(widget, forms.CheckboxSelectMultiple):
        return "checkboxes"
    if isinstance(widget, forms.RadioSelect):
        return "radio"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.ClearableFileInput | forms.FileInput):
        return "file"
    if isinstance(widget, forms.Select):
        return "select"
    return "input"


@register.filter
def selected_values(bound_field: forms.BoundField) -> list[str]:
    value = bound_field.value()
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)]
