from python_pdm.app import greeting


def test_greeting_names_the_app() -> None:
    assert "python-pdm" in greeting()
