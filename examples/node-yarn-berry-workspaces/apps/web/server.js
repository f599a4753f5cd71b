// apps/web: GET / answers with the greeting the workspace library builds
// and an uptime that the "ms" dependency formats; GET /env shows what the
// image runs as.
import { createServer } from "node:http";
import ms from "ms";
import { greet } from "@demo/greet";

const started = Date.now();
const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? "0.0.0.0";

createServer((req, res) => {
  if (req.url === "/env") {
    res.end(`NODE_ENV=${process.env.NODE_ENV} uid=${process.getuid()}\n`);
    return;
  }
  res.end(`${greet("web")}, up ${ms(Date.now() - started)}\n`);
}).listen(port, host, () => console.log(`listening on ${host}:${port}`));
