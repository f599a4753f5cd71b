"""The greeting, in a module of its own so tests and edits touch only it."""


def greeting() -> str:
    return "hello from python-flask"
