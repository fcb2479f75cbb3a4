/**
 * IP literal checks without node:net, so enode URLs parse in a browser too. IPv6 is judged by the
 * WHATWG URL parser (present in Node and every browser), which accepts exactly RFC 4291's forms.
 */
const DOTTED_QUAD = /^(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/;

export function isIPv4(text: string): boolean {
  return DOTTED_QUAD.test(text);
}

export function isIPv6(text: string): boolean {
  if (!text.includes(':') || !/^[0-9a-fA-F:.]+$/.test(text)) return false;
  try {
    new URL(`http://[${text}]/`);
    return true;
  } catch {
    return false;
  }
}
