"""The FastAPI webhook receiver: one endpoint per provider, verified, routed, durably published.

Order of checks for every delivery: content type (415), size (413), signature and timestamp
(401), UTF-8 JSON (400), then routing of each event by provider topic / event type to its Kafka
topic, or to the dead-letter topic when no source in sources.yaml declares it (still accepted,
never dropped). A 2xx (202) answer means Kafka acknowledged every record of the delivery
(`acks=all`, idempotent producer); if it could not, 503 with `Retry-After`, so the provider
retries. Run it with `uvicorn --factory icefloe.ingestion.app:create_app`.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import time
from collections.abc import Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Path, Request
from fastapi.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from icefloe.ingestion import logs
from icefloe.ingestion.dedup import RecentDeliveries
from icefloe.ingestion.metrics import CONTENT_TYPE_LATEST, IngestionMetrics
from icefloe.ingestion.providers import hubspot, shopify, stripe
from icefloe.ingestion.providers.base import Event, WebhookRejected
from icefloe.ingestion.records import kafka_record
from icefloe.ingestion.publisher import BrokerUnavailable, KafkaPublisher, Published
from icefloe.ingestion.settings import IngestionSettings
from icefloe.sources import load_sources

log = logging.getLogger("icefloe.ingestion")


PROVIDERS = ("shopify", "stripe", "hubspot")


def _error(status: int, reason: str, detail: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": reason, "detail": detail}, status_code=status, headers=headers)


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not valid JSON")


def parse_json(body: bytes) -> object:
    """Strict JSON: UTF-8 (no BOM), no NaN/Infinity; anything else is a 400."""
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError as exc:
        raise WebhookRejected(400, "malformed_json", f"body is not UTF-8: {exc}") from exc
    except ValueError as exc:  # JSONDecodeError is a ValueError
        raise WebhookRejected(400, "malformed_json", f"body is not valid JSON: {exc}") from exc


# ---- OpenAPI description of the raw-body endpoints (FastAPI cannot infer it; schemathesis reads it)
_ERROR = {"type": "object", "required": ["error", "detail"],
          "properties": {"error": {"type": "string"}, "detail": {"type": "string"}}}
_ACCEPTED = {"type": "object", "required": ["status", "records"], "properties": {
    "status": {"type": "string", "enum": ["accepted"]},
    "delivery_id": {"type": ["string", "null"]},
    "records": {"type": "array", "items": {"type": "object", "required": ["delivery_id", "topic"], "properties": {
        "delivery_id": {"type": "string"}, "topic": {"type": ["string", "null"]},
        "partition": {"type": ["integer", "null"]}, "offset": {"type": ["integer", "null"]},
        "duplicate": {"type": "boolean"}}}}}}


def _json(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


_RESPONSES = {
    202: {"description": "Accepted: Kafka acknowledged every record", **_json(_ACCEPTED)},
    400: {"description": "Malformed JSON or a missing required header", **_json(_ERROR)},
    401: {"description": "Missing or bad signature, or a stale timestamp (reason in `error`)", **_json(_ERROR)},
    413: {"description": "Body over ICEFLOE_MAX_BODY_BYTES", **_json(_ERROR)},
    415: {"description": "Content type is not application/json", **_json(_ERROR)},
    503: {"description": "Kafka unavailable (retry after `Retry-After` seconds) or no secret configured",
          "headers": {"Retry-After": {"schema": {"type": "string"}}}, **_json(_ERROR)},
}


def _webhook_openapi(body_schema: dict, headers: list[str]) -> dict:
    return {
        "parameters": [{"in": "header", "name": h, "required": False, "schema": {"type": "string"}}
                       for h in headers],
        "requestBody": {"required": True, **_json(body_schema)},
    }


def create_app(settings: IngestionSettings | None = None, publisher: KafkaPublisher | None = None) -> FastAPI:
    settings = settings or IngestionSettings.load()
    logs.configure(settings.log_level, settings.log_format)
    catalog = load_sources()
    metrics = IngestionMetrics()
    recent = RecentDeliveries(settings.dedup_cache_size)
    shopify_secrets = settings.secrets(settings.shopify_webhook_secret)
    stripe_secrets = settings.secrets(settings.stripe_webhook_secret)
    hubspot_secrets = settings.secrets(settings.hubspot_client_secret)
    hubspot_versions = settings.hubspot_versions
    public_base = settings.public_base_url.rstrip("/")
    retry_after = str(settings.retry_after_s)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        log.info("ingestion API starting: %r", settings)
        app.state.publisher = publisher or KafkaPublisher(settings)
        # Everything built so far (FastAPI, pydantic, the routes, librdkafka's wrapper) lives as long as
        # the process: out of the cyclic collector's sight, its full collections stay short (measured:
        # higher throughput, fewer latency spikes; ingestion/README.md, Throughput)
        gc.collect()
        gc.freeze()
        yield
        app.state.publisher.close()

    app = FastAPI(title="icefloe webhook ingestion", version="0.2.0", lifespan=lifespan)
    app.state.metrics = metrics

    async def read_body(request: Request) -> bytes:
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != "application/json":
            raise WebhookRejected(415, "unsupported_media_type",
                                  f"content type must be application/json, got {ctype or 'none'!r}")
        declared = request.headers.get("content-length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > settings.max_body_bytes:
            raise WebhookRejected(413, "too_large", f"body over {settings.max_body_bytes} bytes "
                                                    "(ICEFLOE_MAX_BODY_BYTES)")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > settings.max_body_bytes:
                raise WebhookRejected(413, "too_large", f"body over {settings.max_body_bytes} bytes "
                                                        "(ICEFLOE_MAX_BODY_BYTES)")
            chunks.append(chunk)
        return b"".join(chunks)

    def signed_uri(request: Request) -> str:
        """The URI the provider called, as it signed it (HubSpot v2/v3)."""
        target = request.scope.get("raw_path") or request.url.path.encode()
        query = request.scope.get("query_string") or b""
        path = target.decode("latin-1") + ("?" + query.decode("latin-1") if query else "")
        base = public_base or f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"
        return base + path

    async def publish(ev: Event, received_at: bytes) -> dict:
        if ev.dead_letter_reason is None and recent.seen(ev.provider, ev.delivery_id, ev.value):
            metrics.child(metrics.duplicates, ev.provider).inc()
            return {"delivery_id": ev.delivery_id, "topic": None, "partition": None, "offset": None,
                    "duplicate": True}
        rec = kafka_record(catalog, ev, received_at)
        t0 = time.perf_counter()
        published: Published = await app.state.publisher.publish(rec.topic, rec.key, rec.value, rec.headers)
        metrics.child(metrics.produce_seconds, ev.provider).observe(time.perf_counter() - t0)
        metrics.child(metrics.records, ev.provider, published.topic).inc()
        recent.remember(ev.provider, ev.delivery_id, ev.value)
        log.info("accepted %s delivery %s (%s) -> %s[%d]@%d", ev.provider, ev.delivery_id, ev.provider_topic,
                 published.topic, published.partition, published.offset,
                 extra={"delivery_id": ev.delivery_id, "provider": ev.provider, "provider_topic": ev.provider_topic,
                        "topic": published.topic, "partition": published.partition, "offset": published.offset,
                        "dead_letter_reason": rec.dead_letter_reason})
        return {"delivery_id": ev.delivery_id, "topic": published.topic, "partition": published.partition,
                "offset": published.offset, "duplicate": False}

    async def ingest(request: Request, provider: str,
                     verify_and_split: Callable[[Request, bytes], list[Event]]) -> Response:
        t0 = time.perf_counter()
        response = await _ingest(request, provider, verify_and_split)
        metrics.child(metrics.request_seconds, provider, str(response.status_code)).observe(time.perf_counter() - t0)
        return response

    async def _ingest(request: Request, provider: str,
                      verify_and_split: Callable[[Request, bytes], list[Event]]) -> Response:
        try:
            body = await read_body(request)
            events = verify_and_split(request, body)
        except WebhookRejected as exc:
            metrics.child(metrics.rejected, provider, exc.reason).inc()
            log.info("rejected %s delivery: %s (%s)", provider, exc.reason, exc.detail,
                     extra={"provider": provider, "reason": exc.reason, "status": exc.status, "path": request.url.path})
            return _error(exc.status, exc.reason, exc.detail,
                          **({"Retry-After": retry_after} if exc.status == 503 else {}))
        received_at = str(int(time.time() * 1000)).encode()
        results = await asyncio.gather(*(publish(ev, received_at) for ev in events), return_exceptions=True)
        failed = [r for r in results if isinstance(r, BaseException)]
        if failed:
            for r in failed:
                if not isinstance(r, BrokerUnavailable):
                    raise r
            acked = len(results) - len(failed)
            metrics.child(metrics.rejected, provider, "broker_unavailable").inc()
            log.warning("kafka unavailable: %s delivery refused with 503 (%d of %d records acknowledged; "
                        "the retry re-sends them and downstream deduplicates by delivery id): %s",
                        provider, acked, len(results), failed[0],
                        extra={"provider": provider, "reason": "broker_unavailable",
                               "delivery_id": events[0].delivery_id if events else None, "error": str(failed[0])})
            return _error(503, "broker_unavailable", "Kafka did not acknowledge; retry later",
                          **{"Retry-After": retry_after})
        metrics.child(metrics.accepted, provider).inc()
        return JSONResponse({"status": "accepted", "delivery_id": events[0].delivery_id if events else None,
                             "records": results}, status_code=202)

    # ---- providers: verify the signature on the raw bytes, then parse and split into events
    def shopify_events(request: Request, body: bytes) -> list[Event]:
        delivery = shopify.verify(body, request.headers, shopify_secrets)
        return shopify.events(body, parse_json(body), delivery)

    def stripe_events(request: Request, body: bytes) -> list[Event]:
        stripe.verify(body, request.headers, stripe_secrets, settings.stripe_tolerance_s)
        return stripe.events(body, parse_json(body))

    def hubspot_events(request: Request, body: bytes) -> list[Event]:
        hubspot.verify(body, request.headers, request.method, signed_uri(request), hubspot_secrets,
                       hubspot_versions, settings.hubspot_max_age_s)
        return hubspot.events(body, parse_json(body))

    @app.post("/webhooks/shopify", status_code=202, responses=_RESPONSES, openapi_extra=_webhook_openapi(
        {"type": "object"}, ["X-Shopify-Hmac-Sha256", "X-Shopify-Topic", "X-Shopify-Webhook-Id"]))
    async def shopify_webhook(request: Request) -> Response:
        """A Shopify delivery: one object, routed by `X-Shopify-Topic`."""
        return await ingest(request, "shopify", shopify_events)

    @app.post("/webhooks/stripe", status_code=202, responses=_RESPONSES, openapi_extra=_webhook_openapi(
        {"type": "object", "properties": {"id": {"type": "string"}, "type": {"type": "string"},
                                          "data": {"type": "object"}}}, ["Stripe-Signature"]))
    async def stripe_webhook(request: Request) -> Response:
        """A Stripe event, routed by its `type`; delivery id = the event id."""
        return await ingest(request, "stripe", stripe_events)

    @app.post("/webhooks/hubspot", status_code=202, responses=_RESPONSES, openapi_extra=_webhook_openapi(
        {"type": "array", "items": {"type": "object", "properties": {
            "eventId": {"type": "integer"}, "subscriptionType": {"type": "string"},
            "objectId": {"type": "integer"}, "occurredAt": {"type": "integer"}}}},
        ["X-HubSpot-Signature-v3", "X-HubSpot-Request-Timestamp", "X-HubSpot-Signature",
         "X-HubSpot-Signature-Version"]))
    async def hubspot_webhook(request: Request) -> Response:
        """A HubSpot batch (JSON array): one Kafka record per event, routed by `subscriptionType`."""
        return await ingest(request, "hubspot", hubspot_events)

    # A request for a served provider matches this template too (OpenAPI gives the concrete paths
    # precedence): their answers are listed here as well, so a client reading only this entry is not misled.
    @app.post("/webhooks/{provider}", status_code=404,
              responses={**_RESPONSES, 404: {"description": "Unknown provider", **_json(_ERROR)}})
    async def unknown_provider(provider: str = Path(
            description="any name but the providers served above", json_schema_extra={"not": {"enum": list(PROVIDERS)}},
    )) -> JSONResponse:
        metrics.child(metrics.rejected, "unknown", "unknown_provider").inc()
        return _error(404, "unknown_provider",
                      f"no webhook endpoint for {provider!r}; known: {', '.join(PROVIDERS)}")

    # The webhook endpoints are served by a pure-ASGI fast path in front of FastAPI's router: the
    # same `ingest` as the routes above, minus FastAPI's per-request dependency solving and routing,
    # which cost as much CPU as the verification and publishing themselves. The routes stay: they
    # describe the endpoints in the OpenAPI document and serve any request the fast path passes on.
    fast_paths = {"/webhooks/shopify": ("shopify", shopify_events), "/webhooks/stripe": ("stripe", stripe_events),
                  "/webhooks/hubspot": ("hubspot", hubspot_events)}

    class WebhookFastPath:
        def __init__(self, app: ASGIApp) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            route = fast_paths.get(scope.get("path", "")) if scope["type"] == "http" else None
            if route is None or scope["method"] != "POST":
                await self.app(scope, receive, send)
                return
            response = await ingest(Request(scope, receive), *route)
            await response(scope, receive, send)

    app.add_middleware(WebhookFastPath)

    @app.exception_handler(WebhookRejected)
    async def rejected(request: Request, exc: WebhookRejected) -> JSONResponse:
        return _error(exc.status, exc.reason, exc.detail)

    @app.get("/healthz")
    async def healthz() -> dict:
        """Alive (the process answers)."""
        return {"status": "ok"}

    @app.get("/readyz", responses={503: {"description": "Kafka unreachable", **_json(_ERROR)}})
    async def readyz(request: Request) -> JSONResponse:
        """Ready: Kafka answers a metadata request."""
        reason = await asyncio.to_thread(request.app.state.publisher.ready)
        if reason:
            return _error(503, "kafka_unreachable", reason, **{"Retry-After": retry_after})
        return JSONResponse({"status": "ready"})

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    return app
