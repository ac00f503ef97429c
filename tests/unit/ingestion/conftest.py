"""Fixtures of the API tests."""

import pytest
from fastapi.testclient import TestClient
from ingestion_support import RecordingPublisher, make_settings

from icefloe.ingestion.app import create_app


@pytest.fixture
def publisher():
    return RecordingPublisher()


@pytest.fixture
def client(publisher):
    with TestClient(create_app(make_settings(), publisher)) as c:
        yield c
