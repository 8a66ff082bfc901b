/** An error (or anything thrown) as one line of text, with its errno code when it has one. */
export function errorText(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    return code !== undefined && !e.message.includes(String(code)) ? `${code}: ${e.message}` : e.message;
  }
  return String(e);
}
