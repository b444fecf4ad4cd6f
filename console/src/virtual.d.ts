declare module "virtual:common-passwords" {
  const commonPasswords: Set<string>;
  export default commonPasswords;
}
