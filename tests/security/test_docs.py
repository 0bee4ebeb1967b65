"""/docs works with no network beyond the server, and /openapi.json documents the key and the real errors."""

import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import httpx

from coldsend.http.extensions import EXTENSIONS
from coldsend.http.operations import OPERATIONS

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


class _Assets(HTMLParser):
    """Every URL a browser would load from the page: script src, link href, img src."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href", "img": "src"}.get(tag)
        self.urls.extend(value for name, value in attrs if name == wanted and value)


def _operations(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{method.upper()} {path}", operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


def _is_envelope_schema(response: dict[str, Any], status_code: int) -> bool:
    schema = response["content"]["application/json"]["schema"]
    return bool(
        schema["required"] == ["statusCode", "error", "message"]
        and schema["properties"]["statusCode"]["enum"] == [status_code]
    )


class TestSwaggerUi:
    async def test_every_asset_is_served_by_the_server_itself(self, anonymous: httpx.AsyncClient) -> None:
        page = await anonymous.get("/docs")
        assert page.status_code == 200
        assert "text/html" in page.headers["content-type"]
        parser = _Assets()
        parser.feed(page.text)
        # the document Swagger UI loads is named in the page's inline script
        urls = [*parser.urls, *re.findall(r"url: '([^']+)'", page.text)]
        assert len(urls) >= 4, urls
        assert not re.findall(r"https?://", page.text), "the page names an outside host"
        for url in urls:
            parts = urlsplit(url)
            assert (parts.scheme, parts.netloc) == ("", ""), url
            asset = await anonymous.get(url)
            assert asset.status_code == 200, url
            assert len(asset.content) > 0, url

    async def test_the_bundle_is_swagger_ui_5_which_reads_openapi_3_1(
        self, anonymous: httpx.AsyncClient
    ) -> None:
        page = await anonymous.get("/docs")
        parser = _Assets()
        parser.feed(page.text)
        [bundle] = [url for url in parser.urls if url.endswith("swagger-ui-bundle.js")]
        script = (await anonymous.get(bundle)).text
        assert (await anonymous.get("/openapi.json")).json()["openapi"].startswith("3.1")
        assert re.search(r'"5\.\d+\.\d+"', script)


class TestOpenApiDocument:
    async def test_api_key_is_a_bearer_scheme_on_every_api_operation(
        self, anonymous: httpx.AsyncClient
    ) -> None:
        document = (await anonymous.get("/openapi.json")).json()
        schemes = document["components"]["securitySchemes"]
        assert schemes == {
            "ApiKeyAuth": {
                "type": "http",
                "scheme": "bearer",
                "description": schemes["ApiKeyAuth"]["description"],
            }
        }
        operations = _operations(document)
        assert len(operations) == len(OPERATIONS) + len(EXTENSIONS)
        assert [name for name, op in operations if op.get("security") != [{"ApiKeyAuth": []}]] == []

    async def test_errors_are_envelopes_and_no_422(self, anonymous: httpx.AsyncClient) -> None:
        document = (await anonymous.get("/openapi.json")).json()
        assert "422" not in {code for _, op in _operations(document) for code in op["responses"]}
        assert "HTTPValidationError" not in document["components"]["schemas"]
        for name, operation in _operations(document):
            responses = operation["responses"]
            for status_code in (401, 403, 429):
                assert _is_envelope_schema(responses[str(status_code)], status_code), (name, status_code)
            assert "400" in responses, name
        create_lead_list = document["paths"]["/api/v2/lead-lists"]["post"]["responses"]
        assert _is_envelope_schema(create_lead_list["400"], 400)
        assert _is_envelope_schema(
            document["paths"]["/api/v2/lead-lists/{id}"]["get"]["responses"]["404"], 404
        )
