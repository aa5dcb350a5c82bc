/** Passwords in URLs (`postgres://user:secret@host`) become `***`, for anything that goes to a log. */
export function redactSecrets(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):[^@\s]*@/gi, '$1:***@');
}
