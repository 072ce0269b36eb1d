import { ElMessage, ElMessageBox } from 'element-plus'
import { t } from '@/i18n'
import { errorMessage } from '@/utils/form'

/**
 * Asks the user to confirm with a warning box. Resolves to true when confirmed, false when
 * cancelled or closed.
 */
export async function confirmWarning(
  message: string,
  confirmText: string = t('common.confirm'),
): Promise<boolean> {
  try {
    await ElMessageBox.confirm(message, t('common.confirmTitle'), {
      type: 'warning',
      confirmButtonText: confirmText,
      cancelButtonText: t('common.cancel'),
    })
    return true
  } catch {
    return false
  }
}

interface Toggleable {
  id: number
  enabled: boolean
}

/**
 * Handler for an "enabled" switch in a list (use as its `before-change`): asks for
 * confirmation with `question(row, next)`, saves through `save(row, next)` and swaps the saved
 * row into the list. Resolves to true only when the change was saved; errors become a toast.
 */
export function useEnabledToggle<T extends Toggleable>(
  list: { replace: (predicate: (row: T) => boolean, row: T) => void },
  save: (row: T, enabled: boolean) => Promise<T>,
  question: (row: T, next: boolean) => string,
) {
  return async function toggleEnabled(row: T): Promise<boolean> {
    const next = !row.enabled
    if (!(await confirmWarning(question(row, next)))) return false
    try {
      const saved = await save(row, next)
      list.replace((r) => r.id === row.id, saved)
      ElMessage.success(t('common.success'))
      return true
    } catch (e) {
      ElMessage.error(errorMessage(e, t('common.loadFailed')))
      return false
    }
  }
}
