"""Bearer tokens read as the contract reads them: simplejwt's JWTAuthentication, three fixes.

simplejwt compares the Authorization scheme with AUTH_HEADER_TYPES letter for letter,
accepts a token without iat, and fails (500) on a sub claim that is not a number or a
user without a hash. The 401's WWW-Authenticate, which says what failed, comes with the
Problem Details (problems).
"""

from typing import Any

from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.tokens import Token


class BearerTokenAuthentication(JWTAuthentication):
    """simplejwt's JWTAuthentication (settings.SIMPLE_JWT), for the scheme in any letter case,
    iat required, and 401 for every token it cannot use."""

    # simplejwt takes "bearer <token>" for another scheme: no token, a 401 without
    # error="invalid_token". HTTP's schemes are case-insensitive (RFC 9110 section 11.1).
    def get_raw_token(self, header: bytes) -> bytes | None:
        """Return the token of a Bearer credential, whatever the scheme's letter case."""
        parts = header.split()
        if parts and parts[0].lower() == b"bearer":
            parts[0] = b"Bearer"
        return super().get_raw_token(b" ".join(parts))

    def get_validated_token(self, raw_token: bytes) -> Token:
        """Return the token if simplejwt accepts it and it has an iat claim."""
        token = super().get_validated_token(raw_token)
        # simplejwt requires exp, jti and token_type, then sub and hash_password in get_user;
        # the contract requires all six claims (docs/sign-in.md), iat too.
        if "iat" not in token:
            raise InvalidToken
        return token

    def get_user(self, validated_token: Token) -> Any:
        """Return the user the token names, or raise InvalidToken."""
        try:
            return super().get_user(validated_token)
        except (ValueError, AttributeError):
            # simplejwt looks the user up with sub as it is, and User.objects.get(id="abc")
            # raises ValueError; it fingerprints the user's hash without checking that there is
            # one, and a user whose hash was removed (NULL) raises AttributeError. Both would
            # be a 500 for a token that is only invalid.
            raise InvalidToken from None
