"""Words of django-allauth's forms that our own catalogue says differently.

Our translations are searched before allauth's, so marking these strings here
puts them in comptoir/locale, where French says "Adresse e-mail" as on every
other page, not allauth's "Courriel". Nothing imports this module.
"""

from django.utils.translation import gettext_noop

ALLAUTH_WORDING = (
    gettext_noop("Email"),
    gettext_noop("Email address"),
)
