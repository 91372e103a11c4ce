/**
 * The reason an import summary gives for a failed file: the error's own reason without the file
 * name (the summary lists the name beside it, once), never empty and never "Unknown error" —
 * codecs throw strings, numbers (WASM exception pointers) or Errors without a message.
 */
export function reasonOf(error: unknown, file?: string): string {
  const reason = (error as { reason?: unknown } | null)?.reason
  if (typeof reason === 'string' && reason) return reason
  let message = error instanceof Error ? error.message : typeof error === 'string' ? error : ''
  if (file && message.startsWith(`${file}: `)) message = message.slice(file.length + 2)
  message = message.trim()
  if (message) return message.length > 300 ? `${message.slice(0, 300)}…` : message
  return `failed without a reason given (a thrown ${error instanceof Error ? error.name : typeof error})`
}
