// What deploy parses again and again is the same text each time (a template's XML and record, a
// pool's XML): parsed once per text, the oldest forgotten past `size`. `parse` must not depend
// on anything but the text; a throw is not remembered.
export function memoByText<T>(size: number, parse: (text: string) => T): (text: string) => T {
  const seen = new Map<string, T>();
  return (text) => {
    if (seen.has(text)) return seen.get(text)!;
    const v = parse(text);
    if (seen.size >= size) seen.delete(seen.keys().next().value!);
    seen.set(text, v);
    return v;
  };
}
