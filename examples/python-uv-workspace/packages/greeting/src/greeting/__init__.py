"""A library member of the workspace, installed into the app's virtualenv."""


def greet(name: str) -> str:
    return "hello from " + name
