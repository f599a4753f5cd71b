export function greeting(): string {
  return "hello from node-express";
}
