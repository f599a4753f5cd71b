// Serves the built page on $HOST:$PORT.
const fs = require("node:fs");
const http = require("node:http");

const page = fs.readFileSync(__dirname + "/dist/index.html");
http
  .createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end(page);
  })
  .listen(Number(process.env.PORT || 3000), process.env.HOST || "0.0.0.0", () =>
    console.log("web listening"),
  );
