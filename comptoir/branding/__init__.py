"""The Help Center's name, logo, main colour, footer links and e-mail signature: one row, read once a request."""
