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
    #: Stripe endpoint secret(s) `whsec_...`; several, comma-separated, while rolling
    stripe_webhook_secret: SecretStr = SecretStr("")
    #: how old a Stripe-Signature timestamp may be (Stripe's own libraries default to 300 s)
    stripe_tolerance_s: float = 300.0
    #: HubSpot app client secret(s), comma-separated while rotating
    hubspot_client_secret: SecretStr = SecretStr("")
    #: which HubSpot signature versions are accepted (v1 and v2 carry no timestamp: no replay window)
    hubspot_signature_versions: str = "v1,v2,v3"
    #: HubSpot refuses v3 requests older than 5 minutes; so do we
    hubspot_max_age_s: float = 300.0
    #: scheme://host[/prefix] the providers call, when a proxy or load balancer sits in front
    #: (HubSpot signs the full URI); empty = the URL this process sees
    public_base_url: str = ""
    max_body_bytes: int = 1024 * 1024
    produce_timeout_s: float = 10.0
    #: seconds a provider is told to wait (Retry-After) when Kafka is unavailable
    retry_after_s: int = 5
    #: delivery ids remembered (per process) to skip re-publishing exact duplicates; 0 = off
    dedup_cache_size: int = 100_000
    log_level: str = "INFO"
    #: "json" (one object per line, for log shippers) or "text"
    log_format: str = "json"

    @classmethod
    def load(cls, **overrides: object) -> IngestionSettings:
        env_file = StackSettings().profile_env
        return cls(_env_file=env_file if env_file.exists() else None, **overrides)

    def secrets(self, secret: SecretStr) -> list[bytes]:
        return [s.strip().encode() for s in secret.get_secret_value().split(",") if s.strip()]

    @property
    def hubspot_versions(self) -> tuple[str, ...]:
        return tuple(v.strip().lower() for v in self.hubspot_signature_versions.split(",") if v.strip())
