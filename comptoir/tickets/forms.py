"""The attachments field: shared by every page that takes files (requester and agent alike)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

from comptoir.tickets.files import (
    ACCEPT_ATTRIBUTE,
    NewAttachment,
    accept_file,
    max_files,
    too_many_files_message,
)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Several files; each is checked by content and refused with a message naming the rule."""

    widget = MultipleFileInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.widget.attrs.update({"accept": ACCEPT_ATTRIBUTE, "multiple": True})

    def clean(self, data: Any, initial: Any = None) -> list[NewAttachment]:
        uploads: list[UploadedFile] = (
            [f for f in (data or []) if f] if isinstance(data, list | tuple) else ([data] if data else [])
        )
        if len(uploads) > max_files():
            raise ValidationError(too_many_files_message(len(uploads)), code="too_many")
        accepted: list[NewAttachment] = []
        errors: list[ValidationError] = []
        for upload in uploads:
            try:
                accepted.append(accept_file(upload, upload.name or "", upload.size or 0))
            except ValidationError as error:
                errors.append(error)
        if errors:
            raise ValidationError(errors)
        return accepted
