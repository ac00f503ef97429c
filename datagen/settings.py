"""Settings of the generator and the simulator, read from the `ICEFLOE_` contract."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from icefloe.config import StackSettings


class DatagenSettings(BaseSettings):
    """Where the simulator sends, and the secrets it signs with (the same ones the API verifies)."""

    model_config = SettingsConfigDict(env_prefix="ICEFLOE_", extra="ignore")

    ingestion_url: str = "http://127.0.0.1:8090"
    shopify_webhook_secret: SecretStr = SecretStr("")
    stripe_webhook_secret: SecretStr = SecretStr("")
    hubspot_client_secret: SecretStr = SecretStr("")

    @classmethod
    def load(cls, **overrides: object) -> DatagenSettings:
        """Arguments, then environment, then the local profile env file (`icefloe local up` writes it)."""
        env_file = StackSettings().profile_env
        return cls(_env_file=env_file if env_file.exists() else None, **overrides)

    def secret(self, provider: str) -> str:
        field = {
            "shopify": "shopify_webhook_secret",
            "stripe": "stripe_webhook_secret",
            "hubspot": "hubspot_client_secret",
        }[provider]
        # while a secret rotates the API accepts several, comma-separated; a sender signs with the first
        value = getattr(self, field).get_secret_value().split(",")[0].strip()
        if not value:
            raise ValueError(
                f"no {provider} signing secret: set ICEFLOE_{field.upper()} "
                "(or run `icefloe local up`, which writes it to the profile)"
            )
        return value
