// Rendered on each request, so the answer shows the server runs.
export const dynamic = "force-dynamic";

export default function Page() {
  return <main>hello from node-next, rendered at {new Date().toISOString()}</main>;
}
