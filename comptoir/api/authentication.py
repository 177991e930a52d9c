"""Who is calling: a personal API token (``Authorization: Bearer cpt_…``), or the browser's session.

The session serves same-site scripts (DRF checks their CSRF token); programs
use tokens. A token sent but not live is refused outright with a 401 saying
why (revoked, expired, unknown), never treated as no token at all.
"""

from __future__ import annotations

from django.utils.translation import gettext
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from comptoir.accounts.api_tokens import TokenState, api_token_check, api_token_used
from comptoir.accounts.models import ApiToken, User
from comptoir.api.problems import TokenRefused

KEYWORD = "Bearer"


class BearerTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        header = get_authorization_header(request).decode("latin-1").split()
        if not header or header[0].lower() != KEYWORD.lower():
            return None
        if len(header) != 2:
            raise TokenRefused("invalid-token", gettext("Send one token after “Bearer”, with no spaces in it."))
        check = api_token_check(header[1])
        if check.state is TokenState.REVOKED:
            raise TokenRefused("token-revoked", gettext("This token was revoked by its owner."))
        if check.state is TokenState.EXPIRED:
            raise TokenRefused("token-expired", gettext("This token has expired."))
        if check.state is not TokenState.LIVE or check.token is None:
            raise TokenRefused("invalid-token", gettext("This token is not valid."))
        api_token_used(check.token)
        return check.token.owner, check.token

    def authenticate_header(self, request: Request) -> str:
        return f'{KEYWORD} realm="api"'


def request_token(request: Request) -> ApiToken | None:
    """The token the request came with; None for a browser session."""
    return request.auth if isinstance(request.auth, ApiToken) else None
