"""HubSpot webhooks: signature versions v1, v2 and v3, keyed with the app's client secret.

* v1: `X-HubSpot-Signature` = hex SHA-256 of `client_secret + body`
  (`X-HubSpot-Signature-Version: v1`).
* v2: `X-HubSpot-Signature` = hex SHA-256 of `client_secret + method + URI + body` (`...: v2`).
* v3: `X-HubSpot-Signature-v3` = base64 HMAC-SHA256 (key = client secret) of
  `method + URI + body + X-HubSpot-Request-Timestamp`; the timestamp is in milliseconds and the
  request is refused when it is more than 5 minutes away from our clock. In the URI, HubSpot decodes
  a fixed set of percent-escapes before signing (`V3_URI_DECODE`).

The URI is the one HubSpot called: behind a proxy or load balancer set `ICEFLOE_PUBLIC_BASE_URL`
(e.g. `https://hooks.example.com`) and it replaces the scheme and host this process sees.

A HubSpot body is a JSON *array* of events (up to 100 per request). Each element becomes its own
Kafka record (see ingestion/README.md): value = that element's bytes exactly as they appear in
the body, key = `objectId`, delivery id = `eventId`, provider topic = `subscriptionType`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Mapping, Sequence

from icefloe.ingestion.providers.base import Event, WebhookRejected, content_id

SIGNATURE_HEADER = "x-hubspot-signature"
VERSION_HEADER = "x-hubspot-signature-version"
V3_HEADER = "x-hubspot-signature-v3"
TIMESTAMP_HEADER = "x-hubspot-request-timestamp"
VERSIONS = ("v1", "v2", "v3")

#: percent-escapes HubSpot decodes in the URI before computing a v3 signature (its documentation)
V3_URI_DECODE = {"%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$", "%27": "'",
                 "%28": "(", "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";"}
_V3_ESCAPE = re.compile("|".join(V3_URI_DECODE), re.IGNORECASE)


def v3_uri(uri: str) -> str:
    """The URI as HubSpot signs it in v3 (a fixed set of escapes decoded, case-insensitively)."""
    return _V3_ESCAPE.sub(lambda m: V3_URI_DECODE[m.group(0).upper()], uri)


def sign(version: str, secret: bytes, body: bytes, method: str = "POST", uri: str = "",
         timestamp_ms: int | str | None = None) -> str:
    """The signature HubSpot sends for this request in `version`."""
    if version == "v1":
        return hashlib.sha256(secret + body).hexdigest()
    if version == "v2":
        return hashlib.sha256(secret + method.encode() + uri.encode() + body).hexdigest()
    if version == "v3":
        msg = method.encode() + v3_uri(uri).encode() + body + str(timestamp_ms).encode()
        return base64.b64encode(hmac.new(secret, msg, hashlib.sha256).digest()).decode()
    raise ValueError(f"unknown HubSpot signature version {version!r}; known: {', '.join(VERSIONS)}")


def verify(body: bytes, headers: Mapping[str, str], method: str, uri: str, secrets: Sequence[bytes],
           versions: Sequence[str] = VERSIONS, max_age_s: float = 300, now: float | None = None) -> str:
    """Check the signature (and for v3 the timestamp); returns the version that verified."""
    if not secrets:
        raise WebhookRejected(503, "not_configured",
                              "no HubSpot client secret configured (set ICEFLOE_HUBSPOT_CLIENT_SECRET)")
    if headers.get(V3_HEADER):
        version, given = "v3", headers[V3_HEADER]
    elif headers.get(SIGNATURE_HEADER):
        version, given = (headers.get(VERSION_HEADER) or "v1").strip().lower(), headers[SIGNATURE_HEADER]
        if version not in ("v1", "v2"):
            raise WebhookRejected(401, "unknown_signature_version",
                                  f"X-HubSpot-Signature-Version {version!r} is not v1 or v2")
    else:
        raise WebhookRejected(401, "missing_signature",
                              "missing X-HubSpot-Signature-v3 (or X-HubSpot-Signature) header")
    if version not in versions:
        raise WebhookRejected(401, "signature_version_not_allowed",
                              f"HubSpot signature {version} is not accepted here (ICEFLOE_HUBSPOT_SIGNATURE_VERSIONS="
                              f"{','.join(versions)})")
    timestamp = None
    if version == "v3":
        timestamp = (headers.get(TIMESTAMP_HEADER) or "").strip()
        if not timestamp.isascii() or not timestamp.isdigit():
            raise WebhookRejected(401, "missing_timestamp",
                                  "v3 needs X-HubSpot-Request-Timestamp (Unix time in milliseconds)")
    expected = [sign(version, s, body, method, uri, timestamp).encode() for s in secrets]
    given_b = given.strip().encode("utf-8", "replace")
    if not any(hmac.compare_digest(e, given_b) for e in expected):
        hint = "" if version == "v1" else f" (URI signed here: {uri!r}; behind a proxy set ICEFLOE_PUBLIC_BASE_URL)"
        raise WebhookRejected(401, "bad_signature", f"HubSpot {version} signature does not match{hint}")
    if timestamp is not None:
        age = (time.time() if now is None else now) - int(timestamp) / 1000
        if abs(age) > max_age_s:
            reason, where = ("stale_timestamp", f"{age:.0f} s old") if age > 0 else \
                            ("future_timestamp", f"{-age:.0f} s in the future")
            raise WebhookRejected(401, reason,
                                  f"X-HubSpot-Request-Timestamp is {where}; requests older than {max_age_s:.0f} s "
                                  "are refused (replay protection; check this host's clock if it recurs)")
    return version


_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def element_spans(text: str) -> list[str]:
    """The exact source text of each element of a JSON array (input already validated as JSON)."""
    i = _WS.match(text, 0).end()
    if text[i:i + 1] != "[":
        raise ValueError("not a JSON array")
    i = _WS.match(text, i + 1).end()
    spans: list[str] = []
    if text[i:i + 1] == "]":
        return spans
    while True:
        _, end = _DECODER.raw_decode(text, i)
        spans.append(text[i:end])
        i = _WS.match(text, end).end()
        if text[i:i + 1] == ",":
            i = _WS.match(text, i + 1).end()
            continue
        if text[i:i + 1] == "]":
            return spans
        raise ValueError(f"unexpected character at {i}")


def events(body: bytes, doc: object) -> list[Event]:
    """One event per array element; what cannot be routed is marked for the dead-letter topic."""
    if not isinstance(doc, list):
        return [Event("hubspot", "", content_id(body), body, doc, "not_an_array")]
    out: list[Event] = []
    for span, item in zip(element_spans(body.decode("utf-8")), doc, strict=True):
        value = span.encode("utf-8")
        if not isinstance(item, dict):
            out.append(Event("hubspot", "", content_id(value), value, item, "not_an_event_object"))
            continue
        event_id, sub_type = item.get("eventId"), item.get("subscriptionType")
        if isinstance(event_id, bool) or not isinstance(event_id, (int, str)) or event_id == "":
            out.append(Event("hubspot", str(sub_type or ""), content_id(value), value, item, "missing_event_id"))
        elif not isinstance(sub_type, str) or not sub_type:
            out.append(Event("hubspot", "", str(event_id), value, item, "missing_subscription_type"))
        else:
            out.append(Event("hubspot", sub_type, str(event_id), value, item))
    return out
