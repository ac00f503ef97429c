"""The webhook ingestion API (uvicorn + FastAPI), run from the project's own virtualenv."""

from __future__ import annotations

import os
import sys

from icefloe.config import local_profile
from icefloe.local.services.base import Service, http_health


class IngestionApi(Service):
    name = "api"
    description = "webhook ingestion API (FastAPI)"
    start_timeout = 30.0

    @property
    def ports(self) -> dict[str, int]:
        return {"http": self.stack.api_port}

    def argv(self) -> list[str]:
        return [sys.executable, "-m", "uvicorn", "--factory", "icefloe.ingestion.app:create_app",
                "--host", self.stack.host, "--port", str(self.stack.api_port),
                "--log-level", "info", "--no-access-log"]

    def env(self) -> dict[str, str]:
        return {**os.environ, **local_profile(self.stack)}

    def health(self) -> str | None:
        return http_health(f"http://{self.stack.host}:{self.stack.api_port}/readyz")
