import unittest

from greet import greeting


class GreetingTest(unittest.TestCase):
    def test_names_the_app(self):
        self.assertIn("python-flask", greeting())


if __name__ == "__main__":
    unittest.main()
