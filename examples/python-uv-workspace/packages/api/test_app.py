from app import app


def test_root_greets() -> None:
    assert b"hello from python-uv-workspace" in app.test_client().get("/").data
