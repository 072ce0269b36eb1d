const pad = (n: number) => String(n).padStart(2, '0')

/** Formats an ISO 8601 timestamp as local `YYYY-MM-DD HH:mm`; empty for null/invalid input. */
export function formatDateTime(value: string | null | undefined, withSeconds = false): string {
  if (!value) return ''
  const d = new Date(value)
  if (Number.isNaN(d.getTime())) return ''
  const base = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`
  return withSeconds ? `${base}:${pad(d.getSeconds())}` : base
}

/** Formats an ISO date or timestamp as `YYYY-MM-DD` (date part only). */
export function formatDate(value: string | null | undefined): string {
  if (!value) return ''
  return value.length >= 10 ? value.slice(0, 10) : value
}
