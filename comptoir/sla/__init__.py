"""Service levels (issue 16): how long tickets may wait, counted in a team's business time.

For now the package holds only the pure parts: the business-time arithmetic
(`business_time`) and the closed days a country's public holidays give
(`closed_days`). The models, and the subscriber that runs SLA clocks from
ticket events, come later (docs/sla.md).
"""
