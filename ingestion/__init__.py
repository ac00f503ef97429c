"""The webhook API: verifies each provider's signature on the raw body bytes and publishes the
bytes, unchanged, to Kafka. A 2xx answer means Kafka acknowledged the record."""
