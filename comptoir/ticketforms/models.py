"""Ticket fields, ticket forms (ordered sets of fields) and the values a ticket holds.

A value belongs to a ticket and a field, never to a form: changing or deleting a
form, or taking a field out of it, leaves every ticket's values as they were.
Fields are archived rather than deleted for the same reason.
"""

from __future__ import annotations

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from comptoir.tickets.models import Ticket, TicketType


def _in_language(french: str, english: str) -> str:
    """The text in the page's language, else the other one (an administrator may fill only one)."""
    language = translation.get_language() or "en"
    if language.startswith("fr"):
        return french or english
    return english or french


class FieldKind(models.TextChoices):
    TEXT = "text", _("Short text")
    LONG_TEXT = "long_text", _("Long text")
    NUMBER = "number", _("Number")
    DECIMAL = "decimal", _("Decimal number")
    DATE = "date", _("Date")
    DROPDOWN = "dropdown", _("Drop-down list")
    MULTI_SELECT = "multi_select", _("Multiple choice")
    CHECKBOX = "checkbox", _("Checkbox")
    PATTERN = "pattern", _("Text with a pattern")


class TicketField(models.Model):
    # Names the field in searches (field:<key>=<value>) and in the form's inputs.
    key = models.SlugField(_("key"), max_length=50, unique=True)
    kind = models.CharField(_("type"), max_length=20, choices=FieldKind.choices)
    label_fr = models.CharField(_("label in French"), max_length=120, blank=True)
    label_en = models.CharField(_("label in English"), max_length=120, blank=True)
    help_fr = models.CharField(_("help text in French"), max_length=300, blank=True)
    help_en = models.CharField(_("help text in English"), max_length=300, blank=True)
    # Drop-down and multiple choice: [[value, label in French, label in English], ...].
    choices = models.JSONField(_("choices"), default=list, blank=True)
    # Text with a pattern: matched against the whole value (comptoir.ticketforms.validation).
    pattern = models.CharField(_("pattern"), max_length=200, blank=True)
    visible_to_customers = models.BooleanField(_("visible to customers"), default=True)
    editable_by_customers = models.BooleanField(_("customers fill it in"), default=True)
    required = models.BooleanField(_("required when the customer sends"), default=False)
    # An agent's or a rule's "solved" is refused while the ticket holds no value for it (comptoir.ticketforms.solving).
    required_to_solve = models.BooleanField(_("required before an agent may solve"), default=False)
    # Shown only when another field holds a given value (on the form and when checked on the server).
    shown_when_field = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("shown when")
    )
    shown_when_value = models.CharField(_("has the value"), max_length=200, blank=True)
    archived = models.BooleanField(_("archived"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("key",)
        verbose_name = _("ticket field")
        verbose_name_plural = _("ticket fields")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return _in_language(self.label_fr, self.label_en) or self.key

    @property
    def help_text(self) -> str:
        return _in_language(self.help_fr, self.help_en)

    def choice_pairs(self) -> list[tuple[str, str]]:
        """(value, label in the page's language) of a drop-down or multiple choice."""
        return [(str(row[0]), _in_language(str(row[1]), str(row[2])) or str(row[0])) for row in self.choices]

    @property
    def on_customer_form(self) -> bool:
        return self.visible_to_customers and self.editable_by_customers and not self.archived


class TicketForm(models.Model):
    """One way in for the customer ("Billing question", "Bug report"): an ordered set of fields."""

    slug = models.SlugField(_("address name"), max_length=50, unique=True)
    title_fr = models.CharField(_("title in French"), max_length=120, blank=True)
    title_en = models.CharField(_("title in English"), max_length=120, blank=True)
    description_fr = models.CharField(_("description in French"), max_length=500, blank=True)
    description_en = models.CharField(_("description in English"), max_length=500, blank=True)
    # The ticket's type follows from the form when set; else the customer chooses it.
    ticket_type = models.CharField(_("ticket type"), max_length=20, choices=TicketType.choices, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    active = models.BooleanField(_("offered to customers"), default=True)
    fields: models.ManyToManyField[TicketField, FormField] = models.ManyToManyField(
        TicketField, through="FormField", related_name="forms"
    )

    class Meta:
        ordering = ("position", "id")
        verbose_name = _("ticket form")
        verbose_name_plural = _("ticket forms")

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return _in_language(self.title_fr, self.title_en) or self.slug

    @property
    def description(self) -> str:
        return _in_language(self.description_fr, self.description_en)


class FormField(models.Model):
    form = models.ForeignKey(TicketForm, on_delete=models.CASCADE, related_name="memberships")
    field = models.ForeignKey(TicketField, on_delete=models.CASCADE, related_name="memberships")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("position", "id")
        constraints = [models.UniqueConstraint(fields=("form", "field"), name="ticketforms_form_field_once")]

    def __str__(self) -> str:
        return f"{self.form_id}:{self.field_id}"


class FieldValue(models.Model):
    """A ticket's value of one field, as JSON: text, a number, a decimal or a date as text, a list, a boolean."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="field_values")
    field = models.ForeignKey(TicketField, on_delete=models.PROTECT, related_name="values")
    value = models.JSONField()
    # What search reads (field:<key>=<value>): the value as one lower-case text.
    text = models.CharField(max_length=500, blank=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=("ticket", "field"), name="ticketforms_value_once")]

    def __str__(self) -> str:
        return f"{self.ticket_id}:{self.field_id}"


class CameFrom(models.TextChoices):
    """The kinds of Help Center page a customer may come from (URL names, comptoir.ticketforms.context)."""

    HOME = "home", _("Help Center home")
    CATEGORY = "category_detail", _("Category")
    SECTION = "section_detail", _("Section")
    ARTICLE = "article_detail", _("Article")
    SEARCH = "search", pgettext_lazy("a page", "Search")


class TicketContext(models.Model):
    """What the customer's browser said when they sent the ticket, with their consent; agents only.

    Written once with the ticket (comptoir.ticketforms.services.ticket_context_record), from a payload
    parsed and capped by comptoir.ticketforms.context. The ticket's primary key is this row's: the agent's
    ticket page reads it in the ticket's own query (select_related("browser_context")).
    """

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, primary_key=True, related_name="browser_context")
    browser = models.CharField(_("browser"), max_length=60, blank=True)
    system = models.CharField(_("operating system"), max_length=60, blank=True)
    screen_width = models.PositiveIntegerField(_("screen width"), null=True, blank=True)
    screen_height = models.PositiveIntegerField(_("screen height"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=35, blank=True)
    # The Help Center page the customer came from: its path, its kind and its title when sent.
    came_from = models.CharField(_("came from"), max_length=300, blank=True)
    came_from_kind = models.CharField(max_length=20, choices=CameFrom.choices, blank=True)
    came_from_title = models.CharField(max_length=200, blank=True)
    # The article the customer last read (an article page's path and its title when sent).
    article_path = models.CharField(_("last article read"), max_length=300, blank=True)
    article_title = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("ticket context")
        verbose_name_plural = _("ticket contexts")

    def __str__(self) -> str:
        return str(self.ticket_id)

    @property
    def screen(self) -> str:
        if self.screen_width is None or self.screen_height is None:
            return ""
        return f"{self.screen_width}\u00d7{self.screen_height}"  # the multiplication sign

    def summary_parts(self) -> list[str]:
        """The panel's summary line, "Firefox 133 · Windows 11 · 1920x1080 · fr", without the page."""
        return [part for part in (self.browser, self.system, self.screen, self.language) if part]
