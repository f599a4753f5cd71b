// Serves the built page on $HOST:$PORT, with its uptime.
const fs = require("node:fs");
const http = require("node:http");
const ms = require("ms");

const page = fs.readFileSync(__dirname + "/dist/index.html", "utf8");
const started = Date.now();
http
  .createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end(page + "<!-- up " + ms(Date.now() - started) + " -->\n");
  })
  .listen(Number(process.env.PORT || 3000), process.env.HOST || "0.0.0.0", () =>
    console.log("web listening"),
  );
