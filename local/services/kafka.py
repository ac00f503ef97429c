"""Apache Kafka 4 in KRaft mode (one combined broker + controller) from Maven Central jars.

The storage directory is formatted on first start (`kafka.tools.StorageTool format
--standalone`); the cluster id is kept beside it so a restart finds the same cluster.
"""

from __future__ import annotations

import os
import subprocess
import uuid

from icefloe import PROJECT_ROOT
from icefloe.local.errors import ServiceStartError, StateCorruptedError
from icefloe.local.fetch import find_java, maven_jars
from icefloe.local.services.base import Service

LOG4J = PROJECT_ROOT / "local" / "config" / "kafka-log4j2.yaml"


class Kafka(Service):
    name = "kafka"
    description = "Apache Kafka 4.3 (KRaft)"
    start_timeout = 120.0

    @property
    def ports(self) -> dict[str, int]:
        return {"broker": self.stack.kafka_port, "controller": self.stack.kafka_controller_port}

    @property
    def properties_file(self):
        return self.data_dir / "server.properties"

    def fetch(self) -> None:
        self.java = find_java(self.stack.java_home)
        self.classpath = ":".join(str(j) for j in maven_jars("kafka", self.stack.cache_dir))

    def _write_properties(self) -> None:
        h, p, c = self.stack.host, self.stack.kafka_port, self.stack.kafka_controller_port
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.bootstrap.servers": f"{h}:{c}",
            "listeners": f"PLAINTEXT://{h}:{p},CONTROLLER://{h}:{c}",
            "advertised.listeners": f"PLAINTEXT://{h}:{p},CONTROLLER://{h}:{c}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(self.data_dir / "logs"),
            "num.partitions": "3",
            "default.replication.factor": "1",
            "min.insync.replicas": "1",
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "auto.create.topics.enable": "false",
            "group.initial.rebalance.delay.ms": "0",
            "log.retention.hours": "168",
        }
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.properties_file.write_text("".join(f"{k}={v}\n" for k, v in props.items()))

    def _java(self, main: str, *args: str, heap: str = "256m") -> list[str]:
        return [str(self.java), f"-Xmx{heap}", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                f"-Dlog4j2.configurationFile={LOG4J}", "-cp", self.classpath, main, *args]

    def prepare(self) -> None:
        self._write_properties()  # ports may have changed since the last start
        meta = self.data_dir / "logs" / "meta.properties"
        id_file = self.data_dir / "cluster.id"
        if meta.exists():
            if not id_file.exists():
                raise StateCorruptedError(
                    f"kafka: {meta} exists but {id_file} is gone; the state directory is damaged. "
                    f"Run `icefloe local reset` to start afresh.")
            return
        cluster_id = id_file.read_text().strip() if id_file.exists() else None
        if not cluster_id:
            cluster_id = self._random_uuid()
            id_file.write_text(cluster_id + "\n")
        res = subprocess.run(
            # `--cluster-id=`: a base64url id may start with "-", which the tool would take for an option
            self._java("kafka.tools.StorageTool", "format", f"--cluster-id={cluster_id}", "-c",
                       str(self.properties_file), "--standalone", "--ignore-formatted"),
            capture_output=True, text=True, timeout=120,
        )
        if res.returncode != 0:
            raise ServiceStartError(f"kafka: formatting storage failed:\n{res.stdout}{res.stderr}")

    @staticmethod
    def _random_uuid() -> str:
        # Kafka's cluster ids are base64url-encoded 16-byte UUIDs without padding.
        import base64

        return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")

    def argv(self) -> list[str]:
        return self._java("kafka.Kafka", str(self.properties_file), heap="512m")

    def env(self) -> dict[str, str]:
        return {**os.environ, "KAFKA_HEAP_OPTS": ""}

    def health(self) -> str | None:
        from confluent_kafka.admin import AdminClient
        from confluent_kafka import KafkaException

        admin = AdminClient({"bootstrap.servers": f"{self.stack.host}:{self.stack.kafka_port}",
                             "socket.connection.setup.timeout.ms": 1000, "log_level": 0})
        try:
            md = admin.list_topics(timeout=2)
        except KafkaException as exc:
            return f"broker not answering: {exc.args[0].str() if exc.args else exc}"
        return None if md.brokers else "no broker registered yet"
