// A TypeScript server bun runs as it is: GET / answers with a greeting and
// an uptime that the "ms" dependency formats, GET /env shows what the image
// runs as and which runtime.
import ms from "ms";

const started = Date.now();

Bun.serve({
  port: Number(process.env.PORT ?? 3000),
  hostname: process.env.HOST ?? "0.0.0.0",
  fetch(req: Request): Response {
    if (new URL(req.url).pathname === "/env") {
      return new Response(`NODE_ENV=${process.env.NODE_ENV} uid=${process.getuid!()} bun=${Bun.version}\n`);
    }
    return new Response(`hello from node-bun, up ${ms(Date.now() - started)}\n`);
  },
});
console.log("listening");
