"""The FastAPI webhook receiver.

Order of checks for every delivery: content type (415), size (413), signature (401), JSON (400),
then routing by provider topic to its Kafka topic, or to the dead-letter topic when no source
declares it. A 2xx (202) answer means Kafka acknowledged the record; if it could not, 503 with
`Retry-After`, so the provider retries and nothing is half-accepted.
"""

from __future__ import annotations

import json
import logging
import time
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from icefloe.ingestion.providers import shopify
from icefloe.ingestion.providers.base import VerifiedDelivery, WebhookRejected
from icefloe.ingestion.publisher import BrokerUnavailable, KafkaPublisher
from icefloe.ingestion.settings import IngestionSettings
from icefloe.sources import extract, load_sources

log = logging.getLogger("icefloe.ingestion")

PROVIDERS = ("shopify",)


def _error(status: int, reason: str, detail: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": reason, "detail": detail}, status_code=status, headers=headers)


def create_app(settings: IngestionSettings | None = None, publisher: KafkaPublisher | None = None) -> FastAPI:
    settings = settings or IngestionSettings.load()
    catalog = load_sources()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.publisher = publisher or KafkaPublisher(settings)
        yield
        app.state.publisher.close()

    app = FastAPI(title="icefloe webhook ingestion", version="0.1.0", lifespan=lifespan)

    async def read_body(request: Request) -> bytes:
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != "application/json":
            raise WebhookRejected(415, "unsupported_media_type",
                                  f"content type must be application/json, got {ctype or 'none'!r}")
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > settings.max_body_bytes:
            raise WebhookRejected(413, "too_large", f"body over {settings.max_body_bytes} bytes")
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > settings.max_body_bytes:
                raise WebhookRejected(413, "too_large", f"body over {settings.max_body_bytes} bytes")
        return body

    async def accept(request: Request, body: bytes, delivery: VerifiedDelivery) -> JSONResponse:
        try:
            doc = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise WebhookRejected(400, "malformed_json", f"body is not valid JSON: {exc}") from exc
        received_at = str(int(time.time() * 1000)).encode()
        headers = [
            ("delivery_id", delivery.delivery_id.encode()),
            ("provider", delivery.provider.encode()),
            ("provider_topic", delivery.provider_topic.encode()),
            ("received_at", received_at),
        ]
        source = catalog.route(delivery.provider, delivery.provider_topic)
        if source is None:
            topic, key = catalog.dead_letter_topic, delivery.delivery_id.encode()
            headers.append(("dead_letter_reason", b"unrouted_topic"))
        else:
            object_id = extract(doc, source.id_path) if isinstance(doc, dict) else None
            topic = source.topic
            key = str(object_id).encode() if object_id is not None else delivery.delivery_id.encode()
        try:
            published = await request.app.state.publisher.publish(topic, key, body, headers)
        except BrokerUnavailable as exc:
            log.warning("kafka unavailable, delivery %s refused with 503: %s", delivery.delivery_id, exc)
            return _error(503, "broker_unavailable", "Kafka did not acknowledge; retry later",
                          **{"Retry-After": "5"})
        log.info("accepted %s delivery %s (%s) -> %s[%d]@%d", delivery.provider, delivery.delivery_id,
                 delivery.provider_topic, published.topic, published.partition, published.offset)
        return JSONResponse(
            {"status": "accepted", "delivery_id": delivery.delivery_id, "topic": published.topic,
             "partition": published.partition, "offset": published.offset},
            status_code=202,
        )

    @app.exception_handler(WebhookRejected)
    async def rejected(request: Request, exc: WebhookRejected) -> JSONResponse:
        log.info("rejected %s: %s (%s)", request.url.path, exc.reason, exc.detail)
        return _error(exc.status, exc.reason, exc.detail)

    @app.post("/webhooks/shopify", status_code=202)
    async def shopify_webhook(request: Request) -> JSONResponse:
        body = await read_body(request)
        delivery = shopify.verify(body, request.headers, settings.secrets(settings.shopify_webhook_secret))
        return await accept(request, body, delivery)

    @app.post("/webhooks/{provider}")
    async def unknown_provider(provider: str) -> JSONResponse:
        return _error(404, "unknown_provider", f"no webhook endpoint for {provider!r}; known: {', '.join(PROVIDERS)}")

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        reason = request.app.state.publisher.ready()
        if reason:
            return _error(503, "kafka_unreachable", reason)
        return JSONResponse({"status": "ready"})

    return app
