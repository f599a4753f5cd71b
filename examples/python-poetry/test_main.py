from main import greeting


def test_greeting_names_the_app() -> None:
    assert "python-poetry" in greeting()
