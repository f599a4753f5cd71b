from app import greeting


def test_greeting_names_the_app() -> None:
    assert "python-uv" in greeting()
