from icefloe.sources import extract, load_sources

ARCHITECTURE_TOPICS = {
    "shopify.orders", "shopify.customers", "shopify.products", "stripe.customers", "stripe.charges",
    "stripe.payment_intents", "stripe.refunds", "stripe.disputes", "stripe.subscriptions",
    "hubspot.contacts", "hubspot.companies", "hubspot.deals", "hubspot.engagements",
}


def test_sources_file_declares_exactly_the_architecture_topics():
    assert set(load_sources().topics) == ARCHITECTURE_TOPICS


def test_every_provider_topic_routes_to_one_source_only():
    catalog = load_sources()
    seen = {}
    for s in catalog.sources:
        for t in s.provider_topics:
            assert (s.source, t) not in seen, f"{t} routed twice"
            seen[(s.source, t)] = s.topic
    assert catalog.route("shopify", "orders/create").topic == "shopify.orders"
    assert catalog.route("shopify", "carts/create") is None


def test_by_name_accepts_all_spellings_and_names_known_sources_on_error():
    catalog = load_sources()
    assert catalog.by_name("raw.shopify_orders") is catalog.by_name("shopify.orders")
    try:
        catalog.by_name("shopify_carts")
    except KeyError as exc:
        assert "shopify_orders" in str(exc)
    else:
        raise AssertionError("expected KeyError")


def test_extract_follows_dotted_paths_and_returns_none_when_absent():
    doc = {"id": 5, "data": {"object": {"id": "ch_1"}}, "list": [1]}
    assert extract(doc, "$.id") == 5
    assert extract(doc, "$.data.object.id") == "ch_1"
    assert extract(doc, "$.data.missing.id") is None
    assert extract(doc, "$.list.x") is None
