import { test } from "node:test";
import assert from "node:assert";
import ms from "ms";

test("ms formats durations", () => {
  assert.strictEqual(ms(60000), "1m");
});
