"""The administrators' forms: define a ticket field, compose a ticket form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from comptoir.ticketforms import validation
from comptoir.ticketforms.models import FieldKind, FormField, TicketField, TicketForm

CHOICE_KINDS = (FieldKind.DROPDOWN, FieldKind.MULTI_SELECT)


class TicketFieldForm(forms.ModelForm[TicketField]):
    choices_text = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text=_("Drop-down and multiple choice: one a line, “value | label in French | label in English”."),
    )

    class Meta:
        model = TicketField
        fields = (
            "key",
            "kind",
            "label_fr",
            "label_en",
            "help_fr",
            "help_en",
            "pattern",
            "visible_to_customers",
            "editable_by_customers",
            "required",
            "required_to_solve",
            "shown_when_field",
            "shown_when_value",
            "archived",
        )
        help_texts = {
            "key": _("Letters, digits and dashes; searched as field:key=value."),
            "pattern": _("Text with a pattern: a regular expression the whole value must match, e.g. CMD-\\d{6}."),
            "shown_when_value": _("The value that shows this field; for a checkbox, choose below."),
        }

    # A condition on a checkbox is a choice in the reader's language, stored as validation.CHECKED or
    # UNCHECKED whatever the language (conditions typed "yes" or "no" before keep working as they are).
    shown_when_checked = forms.ChoiceField(
        label=_("When the checkbox is"),
        required=False,
        choices=[
            ("", "—"),
            (validation.CHECKED, _("Checked")),
            (validation.UNCHECKED, pgettext_lazy("checkbox", "Not checked")),
        ],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        others = TicketField.objects.filter(archived=False)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
            self.fields["choices_text"].initial = "\n".join(" | ".join(map(str, row)) for row in self.instance.choices)
        controller = self.fields["shown_when_field"]
        assert isinstance(controller, forms.ModelChoiceField)
        controller.queryset = others
        controller.empty_label = gettext("Always shown")
        shown_when = self.instance.shown_when_field if self.instance.shown_when_field_id else None
        if shown_when is not None and shown_when.kind == FieldKind.CHECKBOX:
            self.initial["shown_when_checked"] = validation.checkbox_condition(self.instance.shown_when_value) or ""
            self.initial["shown_when_value"] = ""

    def checkbox_ids(self) -> str:
        """The checkboxes a condition may read, for the page's script: it shows the choice instead of the text."""
        ids = TicketField.objects.filter(archived=False, kind=FieldKind.CHECKBOX).values_list("pk", flat=True)
        return " ".join(str(pk) for pk in ids)

    def clean_choices_text(self) -> list[list[str]]:
        rows: list[list[str]] = []
        for line in self.cleaned_data.get("choices_text", "").splitlines():
            if not line.strip():
                continue
            parts = [part.strip() for part in line.split("|")]
            value = parts[0]
            if not value:
                raise ValidationError(gettext("Each choice needs a value before its labels."), code="choice")
            rows.append([value, parts[1] if len(parts) > 1 else value, parts[2] if len(parts) > 2 else value])
        return rows

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind = cleaned.get("kind")
        if not cleaned.get("label_fr") and not cleaned.get("label_en"):
            self.add_error("label_en", gettext("Give the field a label, in French or in English."))
        if kind in CHOICE_KINDS and not cleaned.get("choices_text"):
            self.add_error("choices_text", gettext("List at least one choice."))
        if kind == FieldKind.PATTERN:
            problem = validation.pattern_problem(cleaned.get("pattern", ""))
            if problem:
                self.add_error("pattern", problem)
        shown_when = cleaned.get("shown_when_field")
        if shown_when is not None and shown_when.kind == FieldKind.CHECKBOX:
            # The choice, else a value typed before the choice existed ("yes", "no", "oui", "non").
            checked = cleaned.get("shown_when_checked") or validation.checkbox_condition(
                cleaned.get("shown_when_value", "")
            )
            if checked is None:
                self.add_error("shown_when_checked", gettext("Choose whether the checkbox is checked or not."))
            else:
                cleaned["shown_when_value"] = checked
        elif shown_when is not None and not cleaned.get("shown_when_value", "").strip():
            self.add_error("shown_when_value", gettext("Say which value shows this field."))
        return cleaned

    def save(self, commit: bool = True) -> TicketField:
        self.instance.choices = self.cleaned_data["choices_text"] if self.instance.kind in CHOICE_KINDS else []
        if self.instance.kind != FieldKind.PATTERN:
            self.instance.pattern = ""
        field: TicketField = super().save(commit=commit)
        return field


class TicketFormForm(forms.ModelForm[TicketForm]):
    """A form's texts, and which fields it asks in which order: one position box per field, empty to leave it out."""

    class Meta:
        model = TicketForm
        fields = (
            "slug",
            "title_fr",
            "title_en",
            "description_fr",
            "description_en",
            "ticket_type",
            "position",
            "active",
        )
        widgets = {
            "description_fr": forms.Textarea(attrs={"rows": 2}),
            "description_en": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {"slug": _("A link opens this form directly: /tickets/new/?form=<address name>.")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ticket_fields = list(TicketField.objects.filter(archived=False))
        current: dict[int, int] = {}
        if self.instance.pk:
            memberships = FormField.objects.filter(form=self.instance)
            current = {m.field_id: index + 1 for index, m in enumerate(memberships)}
        for field in self.ticket_fields:
            self.fields[f"order_{field.pk}"] = forms.IntegerField(
                label=field.label, required=False, min_value=1, max_value=999, initial=current.get(field.pk)
            )

    def field_rows(self) -> list[tuple[forms.BoundField, TicketField]]:
        return [(self[f"order_{field.pk}"], field) for field in self.ticket_fields]

    def chosen_fields(self) -> list[TicketField]:
        numbered = [
            (self.cleaned_data[f"order_{field.pk}"], field.key, field)
            for field in self.ticket_fields
            if self.cleaned_data.get(f"order_{field.pk}") is not None
        ]
        return [field for _position, _key, field in sorted(numbered, key=lambda row: (row[0], row[1]))]
