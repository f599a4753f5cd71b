def greeting() -> str:
    return "hello from python-uv-requirements"
