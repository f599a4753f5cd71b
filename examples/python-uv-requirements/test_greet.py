import unittest

from greet import greeting


class GreetingTest(unittest.TestCase):
    def test_names_the_app(self) -> None:
        self.assertIn("python-uv-requirements", greeting())


if __name__ == "__main__":
    unittest.main()
