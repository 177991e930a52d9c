#!/bin/sh
# Postfix's pipe(8) hands one message on standard input (docs/deploy.md, "E-mail in").
# The command's exit status goes back to Postfix as it is: 0 stored, 75 try again later, 69 too large.
set -a
. /etc/comptoir/comptoir.env
set +a
cd /srv/comptoir/app || exit 75
exec .venv/bin/python manage.py ingest_email
