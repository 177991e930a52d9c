"""Comptoir's date formats, over Django's (settings.FORMAT_MODULE_PATH).

Lists and histories show dates one way in both languages, day first and on a
24-hour clock: "3 Dec 2026, 18:18" and "3 déc. 2026, 18:18", never
"12/03/2026 6:18 p.m.", which a European reader takes for 12 March. A format
left out here is Django's own for the language (its input formats, say).
"""
