// The workspace library: built by tsc into dist/ before apps/web uses it.
export function greet(app: string): string {
  return `hello from ${app}, greeted by @demo/greet`;
}
