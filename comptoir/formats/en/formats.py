"""English dates: "3 Dec 2026, 18:18" (the language's month names, day first, a 24-hour clock)."""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
TIME_FORMAT = "H:i"
# "M" is "Dec", "Sep": Django's "N" would write "Dec." and "Sept.".
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
