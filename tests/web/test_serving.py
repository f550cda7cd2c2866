"""How the console and the API travel: compressed, cached by version, offline, and failing in the
reader's own language with the menu kept."""

from __future__ import annotations

import csv
import gzip
import io
import re

import pytest
from fastapi.testclient import TestClient

from ..support.api_world import World, password_for, rolled_back_client

API = "/api/v1"
GZIP = {"Accept-Encoding": "gzip"}
IDENTITY = {"Accept-Encoding": "identity"}
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en"}


@pytest.fixture
def client(world: World):  # type: ignore[no-untyped-def]
    with rolled_back_client(world) as c:
        yield c


def bearer(world: World, user: str = "admin") -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[user]}"}


def raw(client: TestClient, url: str, headers: dict[str, str]) -> tuple[dict[str, str], bytes]:
    """The response's headers and its body as sent, before any decoding."""
    with client.stream("GET", url, headers=headers) as response:
        return dict(response.headers), b"".join(response.iter_raw())


def console_sign_in(client: TestClient, username: str) -> None:
    page = client.get("/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text
    form = {"username": username, "password": password_for(username), "csrf_token": token[1]}
    assert client.post("/sign-in", data=form, follow_redirects=False).status_code == 303


# -- compression and caching -------------------------------------------------------------------


def test_plotly_travels_compressed_to_a_client_that_reads_gzip(client: TestClient) -> None:
    headers, body = raw(client, "/static/plotly.min.js", GZIP)
    assert headers["content-encoding"] == "gzip"
    assert headers["vary"] == "Accept-Encoding"
    assert len(body) < 1_500_000
    plain_headers, plain = raw(client, "/static/plotly.min.js", IDENTITY)
    assert "content-encoding" not in plain_headers and plain_headers["vary"] == "Accept-Encoding"
    assert len(plain) > 4_000_000 and gzip.decompress(body) == plain
    assert plain_headers["content-type"].startswith("text/javascript")


def test_static_files_linked_by_version_are_kept_for_good(client: TestClient) -> None:
    page = client.get("/sign-in")
    linked = re.findall(r'(?:href|src)="(/static/[^"]+\?v=[0-9a-f]+)"', page.text)
    assert {url.split("?")[0] for url in linked} == {"/static/app.css", "/static/app.js"}
    for url in linked:
        kept = client.get(url, headers=GZIP)
        assert kept.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert kept.headers["content-encoding"] == "gzip"
        again = client.get(url, headers={**GZIP, "If-None-Match": kept.headers["etag"]})
        assert again.status_code == 304 and not again.content
    unversioned = client.get("/static/app.css")
    assert unversioned.headers["cache-control"] == "max-age=3600"
    stale = client.get("/static/app.css?v=000000000000")
    assert stale.headers["cache-control"] == "max-age=3600"  # an old version is not promised
    assert client.get("/static/nothing.js").status_code == 404


def test_pages_and_api_answers_are_compressed_and_still_read_right(
    client: TestClient, world: World
) -> None:
    headers, body = raw(client, "/sign-in", GZIP)
    assert headers["content-encoding"] == "gzip" and b"csrf_token" in gzip.decompress(body)
    listing = f"{API}/customers?limit=50"
    headers, body = raw(client, listing, {**GZIP, **bearer(world)})
    assert headers["content-encoding"] == "gzip" and headers["cache-control"] == "no-store"
    assert client.get(listing, headers={**GZIP, **bearer(world)}).json()["items"]
    headers, _body = raw(client, f"{API}/health", GZIP)
    assert "content-encoding" not in headers  # too small to gain anything


def test_a_streamed_csv_download_arrives_whole_when_compressed(
    client: TestClient, world: World
) -> None:
    url = f"{API}/exports/customers"
    headers, body = raw(client, url, {**GZIP, **bearer(world)})
    assert headers["content-encoding"] == "gzip"
    assert headers["content-disposition"].startswith("attachment;")
    plain = client.get(url, headers={**IDENTITY, **bearer(world)})
    assert "content-encoding" not in plain.headers
    assert gzip.decompress(body) == plain.content
    rows = list(csv.reader(io.StringIO(plain.text)))
    assert len(rows) > 100 and world.own in plain.text


def test_a_problem_keeps_its_media_type_when_compressed(client: TestClient, world: World) -> None:
    body = {"code": "", "name": "x" * 2000}
    refused = client.post(f"{API}/customers", json=body, headers={**GZIP, **bearer(world)})
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["status"] == 422


# -- the API documentation, offline -------------------------------------------------------------


def test_the_api_docs_name_no_other_site(client: TestClient) -> None:
    docs = client.get("/docs")
    assert not re.findall(r"https?://", docs.text)
    assets = re.findall(r'(?:href|src)="(/[^"]+)"', docs.text)
    assert len(assets) == 3
    for url in assets:
        loaded = client.get(url, headers=GZIP)
        assert loaded.status_code == 200 and loaded.headers["content-encoding"] == "gzip"
        assert loaded.headers["cache-control"] == "public, max-age=31536000, immutable"
    script = client.get(assets[1]).text
    assert "unpkg.com" not in script and "cdn.jsdelivr" not in script


# -- problems and error pages in the reader's language ----------------------------------------


@pytest.mark.parametrize(
    ("headers", "title"), [(EN, "Not Found"), (ZH, "未找到")], ids=["en", "zh"]
)
def test_a_problems_title_comes_in_the_language_asked_for(
    client: TestClient, world: World, headers: dict[str, str], title: str
) -> None:
    missing = client.get(f"{API}/customers/NOPE", headers={**headers, **bearer(world)})
    assert missing.status_code == 404 and missing.json()["title"] == title
    assert "NOPE" in missing.json()["detail"]


@pytest.mark.parametrize(
    ("headers", "titles"),
    [(EN, ("Not Found", "Unprocessable Content")), (ZH, ("未找到", "内容无法处理"))],
    ids=["en", "zh"],
)
def test_the_frameworks_own_problems_are_translated_too(
    client: TestClient, world: World, headers: dict[str, str], titles: tuple[str, str]
) -> None:
    nowhere = client.get(f"{API}/no-such-thing", headers=headers)
    assert nowhere.status_code == 404 and nowhere.json()["title"] == titles[0]
    assert "detail" not in nowhere.json()  # not the English phrase a second time
    invalid = client.get(f"{API}/customers?limit=oops", headers={**headers, **bearer(world)})
    assert invalid.status_code == 422 and invalid.json()["title"] == titles[1]


@pytest.mark.parametrize(
    ("lang", "heading", "menu"),
    [("en", "This page does not exist", "Dashboard"), ("zh_CN", "此页面不存在", "仪表盘")],
)
def test_a_missing_page_says_so_plainly_and_keeps_the_menu(
    client: TestClient, lang: str, heading: str, menu: str
) -> None:
    console_sign_in(client, "manager")
    client.cookies.set("tierwise_lang", lang)
    missing = client.get("/no-such-page")
    assert missing.status_code == 404
    assert f"<h1>{heading}</h1>" in missing.text
    nav = re.search(r"<nav[^>]*>(.*?)</nav>", missing.text, re.S)
    assert nav and f">{menu}</a>" in nav[1]
    assert "Not Found" not in missing.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', missing.text)
    assert token and token[1]  # the menu's sign-out form works from here


@pytest.mark.parametrize(
    ("lang", "heading"),
    [("en", "You do not have access to this"), ("zh_CN", "您无权访问此内容")],
)
def test_a_forbidden_page_says_so_plainly_and_keeps_the_menu(
    client: TestClient, lang: str, heading: str
) -> None:
    console_sign_in(client, "csr")
    client.cookies.set("tierwise_lang", lang)
    refused = client.get("/composition")
    assert refused.status_code == 403
    assert f"<h1>{heading}</h1>" in refused.text
    assert re.search(r"<nav[^>]*>.*?<a href=", refused.text, re.S)


def test_an_error_page_without_a_session_has_no_menu(client: TestClient) -> None:
    missing = client.get("/no-such-page", headers=EN)
    assert missing.status_code == 404 and "<h1>This page does not exist</h1>" in missing.text
    assert "<nav" not in missing.text
