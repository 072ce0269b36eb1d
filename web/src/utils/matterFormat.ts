/** Display helpers for matters shared by the list, detail and home pages. */
import type { DeadlineStatus } from '@/api/types'

export type DeadlineLevel = 'ok' | 'due_soon' | 'overdue' | 'cleared'

const DAY_MS = 24 * 3_600_000

/**
 * The card a deadline shows: the server's status when given (lists and details judge it by the
 * working-day calendar); otherwise, for an answer without one, red when overdue and yellow
 * within two calendar days of the due instant.
 */
export function deadlineLevel(
  at: string | null | undefined,
  overdue: boolean,
  status?: DeadlineStatus,
  now: number = Date.now(),
): DeadlineLevel {
  if (status === 'overdue' || status === 'due_soon' || status === 'ok' || status === 'cleared') {
    return status
  }
  if (overdue) return 'overdue'
  if (!at) return 'ok'
  const due = new Date(at).getTime()
  if (Number.isNaN(due)) return 'ok'
  if (due <= now) return 'overdue'
  return due - now <= 2 * DAY_MS ? 'due_soon' : 'ok'
}
