// The build: copies src/ to dist/ with the build time stamped in, and
// checks with a dev dependency that it has one (dev tools reach the build).
const fs = require("node:fs");
const isNumber = require("is-number");

if (!isNumber(Date.now())) throw new Error("is-number is broken");
fs.mkdirSync("dist", { recursive: true });
const src = fs.readFileSync("src/server.js", "utf8");
fs.writeFileSync("dist/server.js", src.replace("@BUILT@", "built by yarn run build"));
