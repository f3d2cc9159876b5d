// Line handling for the small text files sealing and first-boot installation edit.

/** Splits text into lines without the trailing empty element a final newline gives. */
export function lines(text: string): string[] {
  const out = text.split('\n');
  if (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out;
}
