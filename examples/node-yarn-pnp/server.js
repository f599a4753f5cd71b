// A plain Node server: GET / answers with a greeting and an uptime that
// the "ms" dependency formats (loaded from its zip through PnP), GET /env
// shows what the image runs as and whether PnP is on.
import { createServer } from "node:http";
import ms from "ms";

// .pnp.cjs records its version here when it is loaded.
const pnp = process.versions.pnp ? "on" : "off";
const started = Date.now();
const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? "0.0.0.0";

createServer((req, res) => {
  if (req.url === "/env") {
    res.end(`NODE_ENV=${process.env.NODE_ENV} uid=${process.getuid()} pnp=${pnp}\n`);
    return;
  }
  res.end(`hello from node-yarn-pnp, up ${ms(Date.now() - started)}\n`);
}).listen(port, host, () => console.log(`listening on ${host}:${port}`));
