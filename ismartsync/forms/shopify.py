"""The three ways to connect a Shopify store: OAuth install, the merchant's own app, a pasted admin token."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length, Optional, Regexp, ValidationError

from ismartsync.shopify.oauth import OAuthError, normalize_shop_domain

# Shopify's client ids, secrets and tokens are printable ASCII without spaces; anything else is a slip of the paste
# (and could not go into an HTTP header at all).
CREDENTIAL = Regexp(r"^[\x21-\x7e]*$", message="Paste it exactly: letters, digits and punctuation, no spaces.")


class _ConnectForm(FlaskForm):
    """Three of these share one page, so each gets a prefix (`oauth-shop`, `own-shop`, …) to keep ids unique."""

    class Meta:
        # CSRFProtect already checks every POST's `csrf_token`; a prefixed form would look for `<prefix>-csrf_token`.
        csrf = False

    shop = StringField(
        "Store address",
        [InputRequired(message="Enter the store's .myshopify.com address."), Length(max=255)],
        render_kw={"placeholder": "your-store.myshopify.com", "autocomplete": "off", "spellcheck": "false"},
    )

    def validate_shop(self, field: StringField) -> None:
        try:
            field.data = normalize_shop_domain(field.data or "")
        except OAuthError as exc:
            raise ValidationError(exc.message) from exc


class OAuthConnectForm(_ConnectForm):
    pass


class OwnAppForm(_ConnectForm):
    client_id = StringField(
        "Client ID",
        [InputRequired(message="Enter your app's client ID."), Length(max=255), CREDENTIAL],
        render_kw={"autocomplete": "off"},
    )
    client_secret = PasswordField(
        "Client secret", [InputRequired(message="Enter your app's client secret."), Length(max=255), CREDENTIAL]
    )


class AdminTokenForm(_ConnectForm):
    access_token = PasswordField(
        "Admin API access token",
        [InputRequired(message="Paste the token (it starts with shpat_)."), Length(max=255), CREDENTIAL],
    )
    # Optional: without it the store's webhooks cannot be verified, so none are subscribed (Sync health says so).
    api_secret_key = PasswordField("API secret key", [Optional(), Length(max=255), CREDENTIAL])


def connect_forms(formdata: object = None) -> dict[str, FlaskForm]:
    """Blank forms for the connection page, keyed as the template names them."""
    return {
        "oauth_form": OAuthConnectForm(prefix="oauth", formdata=formdata),
        "own_form": OwnAppForm(prefix="own", formdata=formdata),
        "token_form": AdminTokenForm(prefix="paste", formdata=formdata),
    }
