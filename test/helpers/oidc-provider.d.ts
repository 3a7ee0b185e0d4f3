// oidc-provider ships no type declarations; the tests use a handful of its members.
declare module 'oidc-provider' {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const Provider: any;
  export default Provider;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  export const errors: any;
}
