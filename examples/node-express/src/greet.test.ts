import { test } from "node:test";
import assert from "node:assert";
import { greeting } from "./greet";

test("greeting names the app", () => {
  assert.match(greeting(), /node-express/);
});
