// A Node server with a native addon: GET / answers with the version of the
// SQLite that better-sqlite3 compiled in, which only works when the addon
// was built for this platform and Node.
const http = require("node:http");
const Database = require("better-sqlite3");

const db = new Database(":memory:");
const version = db.prepare("select sqlite_version() as v").get().v;
const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? "0.0.0.0";

http.createServer((req, res) => {
  res.end(`hello from node-native, sqlite ${version}, uid ${process.getuid()}\n`);
}).listen(port, host, () => console.log(`listening on ${host}:${port}`));
