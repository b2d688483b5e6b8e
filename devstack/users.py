"""Confirmed users in the emulator's user pool, and their tokens."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError


def ensure_confirmed_user(cognito: Any, pool_id: str, email: str, password: str) -> str:
    """Create the user if needed, set a permanent password (which confirms it); return its sub."""
    try:
        cognito.admin_create_user(
            UserPoolId=pool_id,
            Username=email,
            UserAttributes=[
                {"Name": "email", "Value": email},
                {"Name": "email_verified", "Value": "true"},
            ],
            MessageAction="SUPPRESS",
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "UsernameExistsException":
            raise
    cognito.admin_set_user_password(
        UserPoolId=pool_id, Username=email, Password=password, Permanent=True
    )
    user = cognito.admin_get_user(UserPoolId=pool_id, Username=email)
    return next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub")


def sign_in(cognito: Any, client_id: str, email: str, password: str) -> dict[str, str]:
    """Tokens by USER_PASSWORD_AUTH. The browser uses SRP; the emulator does not check an SRP
    proof, so scripts and tests that must fail on a wrong password use this flow."""
    result = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )["AuthenticationResult"]
    return {
        "access_token": result["AccessToken"],
        "id_token": result["IdToken"],
        "refresh_token": result.get("RefreshToken", ""),
    }
