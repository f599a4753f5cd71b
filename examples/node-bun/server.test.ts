import { expect, test } from "bun:test";
import ms from "ms";

test("ms formats durations", () => {
  expect(ms(60000)).toBe("1m");
});
