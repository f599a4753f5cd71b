// The build step: copies src/ to dist/ with a build stamp, as a bundler would.
const fs = require("node:fs");

fs.mkdirSync("dist", { recursive: true });
const page = fs.readFileSync("src/index.html", "utf8");
fs.writeFileSync("dist/index.html", page.replace("</p>", " (built)</p>"));
console.log("built dist/index.html");
