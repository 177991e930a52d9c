"""Service levels (issue 16): how long tickets may wait, counted in a team's business time.

The pure parts: the business-time arithmetic (`business_time`), the closed
days a country's public holidays give (`closed_days`), which policy applies
(`policies`) and the clock rules (`clock`). Around them, the app: schedules,
policies and one clock per ticket and target (`models`), kept by a subscriber
of ticket events (`subscriber`, `services`) and raised when due by a periodic
job (`breaches`, `tasks`). docs/sla.md gives the rules.
"""
