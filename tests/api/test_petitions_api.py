"""The JSON API's stable fields."""
from ..helpers import confirm, last_confirm_path, sign


def test_petition_json_has_the_documented_fields(client, petition):
    data = client.get("/api/v1/petitions/free-them").get_json()
    assert {"slug", "status", "goal", "next_goal", "signature_count", "languages", "title", "updated_at"} <= set(data)
    assert data["slug"] == "free-them" and data["status"] == "open"
    assert (data["goal"], data["next_goal"], data["signature_count"]) == (1000, 1000, 0)
    assert data["languages"] == ["en", "be", "de", "ru"]
    assert data["title"] == "Free the prisoners of conscience"
    assert data["updated_at"].endswith("Z")


def test_lang_parameter_picks_the_title_language(client, petition):
    assert client.get("/api/v1/petitions/free-them?lang=ru").get_json()["title"] == "Освободите узников совести"
    # Unknown languages fall back to the primary text rather than failing.
    assert client.get("/api/v1/petitions/free-them?lang=zz").get_json()["title"] == "Free the prisoners of conscience"


def test_count_endpoint_follows_confirmations(client, petition):
    assert client.get("/api/v1/petitions/free-them/count").get_json() == {
        "signature_count": 0, "online_count": 0, "paper_count": 0, "goal": 1000, "next_goal": 1000}
    sign(client)
    assert client.get("/api/v1/petitions/free-them/count").get_json()["signature_count"] == 0
    confirm(client, last_confirm_path("ada@example.org"))
    assert client.get("/api/v1/petitions/free-them/count").get_json()["signature_count"] == 1


def test_unknown_petition_is_a_json_404(client):
    response = client.get("/api/v1/petitions/nope/count")
    assert response.status_code == 404 and response.get_json()["status"] == 404
