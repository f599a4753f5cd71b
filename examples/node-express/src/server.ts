// An Express API: GET / answers with a greeting, GET /env shows what the
// runtime image runs as, so tests can check it.
import express from "express";
import { greeting } from "./greet";

const app = express();

app.get("/", (_req, res) => {
  res.send(greeting() + "\n");
});

app.get("/env", (_req, res) => {
  res.send(`NODE_ENV=${process.env.NODE_ENV} uid=${process.getuid?.()}\n`);
});

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? "0.0.0.0";
app.listen(port, host, () => console.log(`listening on ${host}:${port}`));
