def greeting() -> str:
    return "hello from python-fastapi"
