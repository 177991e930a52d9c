"""French dates: "3 déc. 2026, 18:18" (abbreviated as French writes them: "déc.", "mai", "juil.")."""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
TIME_FORMAT = "H:i"
# "N" is Django's abbreviated month with its own full stop where French puts one ("déc.", but "mai").
SHORT_DATE_FORMAT = "j N Y"
SHORT_DATETIME_FORMAT = "j N Y, H:i"
