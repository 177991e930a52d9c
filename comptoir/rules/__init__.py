"""Business rules (issue 17): triggers run on ticket events by a subscriber of the event backbone, automations on time.

- ``conditions``: what a rule looks at on a ticket (``TicketFacts``) and whether it matches: pure.
- ``actions``: what a rule would change (a ``Plan``, pure) and its one write, through the ticket services.
- ``validation``: what an admin may save.
- ``engine``: one change of a ticket in, the rules that listen to it run in order, with the chain guard; ``dry_run``.
- ``subscriber``: the engine registered with the backbone.
- ``automations``: rules on time, run by the beat job of ``tasks`` over an index (``TicketClock``), once per period.
- ``assignment``: a group's automatic assignment (round-robin, least open), a built-in step after the triggers.
"""
