/** Text from a host (garbled output, names) shown safely: control characters become visible escapes. */
export function printable(text: string, max = 160): string {
  // eslint-disable-next-line no-control-regex
  const safe = text.replace(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
  return safe.length > max ? `${safe.slice(0, max)}...` : safe
}
