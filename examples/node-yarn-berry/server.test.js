const { test } = require("node:test");
const assert = require("node:assert");
const ms = require("ms");

test("ms formats durations", () => {
  assert.strictEqual(ms(1000), "1s");
});
