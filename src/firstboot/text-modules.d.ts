// `.sh` files are imported as their text (see src/firstboot/script.ts).
declare module '*.sh' {
  const text: string;
  export default text;
}
