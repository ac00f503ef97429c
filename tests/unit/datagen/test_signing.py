"""Our signatures, checked by the providers' own SDKs (and by the API's Shopify verifier)."""

from __future__ import annotations

import time

import pytest
import stripe
from hubspot.utils.signature import Signature

from icefloe.datagen import signing
from icefloe.ingestion.providers import shopify as shopify_verifier
from icefloe.ingestion.providers.base import WebhookRejected

BODY = b'{"id":6100070000000000001,"note":"caf\xc3\xa9"}'


def test_stripe_sdk_accepts_our_signature():
    header = signing.stripe_signature(BODY, "whsec_test_secret")
    assert stripe.WebhookSignature.verify_header(BODY.decode(), header, "whsec_test_secret", tolerance=300)


def test_stripe_sdk_rejects_a_tampered_body_or_wrong_secret():
    header = signing.stripe_signature(BODY, "whsec_test_secret")
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.WebhookSignature.verify_header(BODY.decode() + " ", header, "whsec_test_secret", tolerance=300)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.WebhookSignature.verify_header(BODY.decode(), header, "whsec_other", tolerance=300)


def test_stripe_sdk_rejects_a_stale_timestamp():
    header = signing.stripe_signature(BODY, "whsec_test_secret", timestamp=int(time.time()) - 3600)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.WebhookSignature.verify_header(BODY.decode(), header, "whsec_test_secret", tolerance=300)


def test_hubspot_sdk_accepts_our_v3_signature():
    uri = "http://127.0.0.1:8090/webhooks/hubspot"
    h = signing.hubspot_headers(BODY, "hs-client-secret", uri)
    assert Signature.is_valid(
        h["X-HubSpot-Signature-v3"],
        "hs-client-secret",
        BODY.decode(),
        uri,
        "POST",
        signature_version="v3",
        timestamp=h["X-HubSpot-Request-Timestamp"],
    )


def test_hubspot_sdk_rejects_another_uri_or_body():
    uri = "http://127.0.0.1:8090/webhooks/hubspot"
    h = signing.hubspot_headers(BODY, "hs-client-secret", uri)
    sig, ts = h["X-HubSpot-Signature-v3"], h["X-HubSpot-Request-Timestamp"]
    assert not Signature.is_valid(sig, "hs-client-secret", BODY.decode(), uri + "x", "POST", "v3", ts)
    assert not Signature.is_valid(sig, "hs-client-secret", BODY.decode() + " ", uri, "POST", "v3", ts)


def test_shopify_verifier_accepts_our_headers_and_rejects_another_secret():
    h = signing.shopify_headers(BODY, "shpss_secret", "orders/create", "wh-1")
    lower = {k.lower(): v for k, v in h.items()}
    delivery = shopify_verifier.verify(BODY, lower, [b"shpss_secret"])
    assert (delivery.provider_topic, delivery.delivery_id) == ("orders/create", "wh-1")
    with pytest.raises(WebhookRejected):
        shopify_verifier.verify(BODY, lower, [b"another"])
