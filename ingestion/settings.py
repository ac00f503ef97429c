"""Settings of the webhook API, read from the `ICEFLOE_` contract (secrets are never logged)."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from icefloe.config import StackSettings


class IngestionSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ICEFLOE_", extra="ignore")

    kafka_bootstrap_servers: str = "127.0.0.1:19092"
    kafka_security_protocol: str = "PLAINTEXT"
    #: Shopify app secret(s); several, comma-separated, while rotating
    shopify_webhook_secret: SecretStr = SecretStr("")
    max_body_bytes: int = 1024 * 1024
    produce_timeout_s: float = 10.0

    @classmethod
    def load(cls, **overrides: object) -> IngestionSettings:
        env_file = StackSettings().profile_env
        return cls(_env_file=env_file if env_file.exists() else None, **overrides)

    def secrets(self, secret: SecretStr) -> list[bytes]:
        return [s.strip().encode() for s in secret.get_secret_value().split(",") if s.strip()]
