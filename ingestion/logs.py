"""Structured logs: one JSON object per line with the delivery id and other context as fields.

Context is passed with `extra=` (`log.info("accepted", extra={"delivery_id": ...})`); only the
fields named in `CONTEXT_FIELDS` are emitted, so nothing attached to a record by accident (a
settings object, a header map) reaches the log. Secrets are `SecretStr` and never passed here.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import IO

CONTEXT_FIELDS = ("delivery_id", "provider", "provider_topic", "topic", "partition", "offset", "reason",
                  "status", "path", "records", "duplicates", "dead_letter_reason", "error")
_HANDLER_MARK = "_icefloe_ingestion_handler"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, object] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            value = record.__dict__.get(name)
            if value is not None:
                out[name] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str, ensure_ascii=False)


def configure(level: str = "INFO", fmt: str = "json", stream: IO[str] | None = None) -> logging.Handler:
    """Attach one handler to the `icefloe` logger (idempotent: a second call replaces it)."""
    logger = logging.getLogger("icefloe")
    for h in list(logger.handlers):
        if getattr(h, _HANDLER_MARK, False):
            logger.removeHandler(h)
    handler = logging.StreamHandler(stream or sys.stderr)
    setattr(handler, _HANDLER_MARK, True)
    handler.setFormatter(JsonFormatter() if fmt == "json" else
                         logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level.upper())
    return handler
