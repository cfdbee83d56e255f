"""Helpers for tests that talk to the app through Flask's test client."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage
from werkzeug.test import TestResponse, encode_multipart

PASSWORD = "mot-de-passe-de-test"


def sign_in(client: FlaskClient, email: str) -> None:
    """Sign in with the test password (and out of any previous account)."""
    client.post("/deconnexion")
    response = client.post("/connexion", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.text


def fetch(client: FlaskClient, path: str, method: str = "GET", **kwargs: object) -> TestResponse:
    """Request `path`, read the body and close the response (send_file keeps the file open)."""
    response = client.open(path, method=method, **kwargs)  # type: ignore[arg-type]
    response.get_data()
    response.close()
    return response


def post_file(client: FlaskClient, url: str, path: Path, **fields: str) -> TestResponse:
    """POST a multipart form with one file, as the page's XHR does.

    The body is encoded in memory: werkzeug's test client leaks the temporary file it
    spools large bodies to, which pytest reports as an unclosed file.
    """
    boundary, body = encode_multipart(
        {**fields, "file": FileStorage(BytesIO(path.read_bytes()), path.name)}
    )
    return client.post(
        url,
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        headers={"Accept": "application/json"},
    )
