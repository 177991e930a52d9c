"""Ticket fields defined by administrators, the ticket forms that ask them, and each ticket's values."""
