"""Categories and sections are arranged in the Django admin; articles are written in the workspace editor."""

from __future__ import annotations

from django.contrib import admin

from comptoir.helpcenter.models import Category, CategoryTranslation, Section, SectionTranslation


class CategoryTranslationInline(admin.TabularInline[CategoryTranslation, Category]):
    model = CategoryTranslation
    extra = 0
    prepopulated_fields = {"slug": ("title",)}


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin[Category]):
    list_display = ("key", "position")
    list_editable = ("position",)
    inlines = (CategoryTranslationInline,)


class SectionTranslationInline(admin.TabularInline[SectionTranslation, Section]):
    model = SectionTranslation
    extra = 0
    prepopulated_fields = {"slug": ("title",)}


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin[Section]):
    list_display = ("key", "category", "position")
    list_editable = ("category", "position")
    list_select_related = ("category",)
    inlines = (SectionTranslationInline,)
