// A plain Node server: GET / answers with a greeting, GET /env shows what
// the image runs as.
const http = require("node:http");
const ms = require("ms");

const started = Date.now();
const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? "0.0.0.0";

http.createServer((req, res) => {
  if (req.url === "/env") {
    res.end(`NODE_ENV=${process.env.NODE_ENV} uid=${process.getuid()}\n`);
    return;
  }
  res.end(`hello from node-yarn-berry (@BUILT@), up ${ms(Date.now() - started)}\n`);
}).listen(port, host, () => console.log(`listening on ${host}:${port}`));
