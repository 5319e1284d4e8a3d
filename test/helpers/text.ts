/**
 * A session value as the test apps answer it: text as is, anything else as JSON
 * (so an object reads as its fields, not as "[object Object]").
 */
export function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  return JSON.stringify(value) ?? typeof value;
}
