import { reactive, ref, useTemplateRef, watch } from 'vue'
import { ElMessage, type FormInstance } from 'element-plus'
import { t } from '@/i18n'
import { errorMessage, fieldErrorFor, type FieldMap } from '@/utils/form'

/**
 * Submission state for an Element Plus form backed by the API.
 *
 * `submit(action)` clears earlier server errors, runs client-side validation and, when it
 * passes, runs `action` with `saving` set. A server error naming one of `formProps` (after
 * `fieldMap`) is shown under that form item via `fieldErrors`; any other error becomes a toast.
 * Resolves to true when `action` completed. The form element must carry `ref="formRef"`
 * (or the `refName` given). Call from a component's setup.
 */
/** What the composable needs of the form (an el-form or a FormDialog). */
export type FormHandle = Pick<FormInstance, 'validate' | 'clearValidate'>

export function useServerForm(
  formProps: readonly string[],
  fieldMap: FieldMap = {},
  refName = 'formRef',
) {
  const formRef = useTemplateRef<FormHandle>(refName)
  const fieldErrors = reactive<Record<string, string>>({})
  const saving = ref(false)

  function clearFieldErrors() {
    for (const key of Object.keys(fieldErrors)) delete fieldErrors[key]
  }

  /** Clears server errors and client-side validation marks (when a dialog opens). */
  function resetErrors() {
    clearFieldErrors()
    formRef.value?.clearValidate()
  }

  /**
   * Each time `isOpen()` turns true (and at once when `immediate`), runs `fill()` to load the
   * form's values and clears earlier errors.
   */
  function whenOpened(isOpen: () => boolean, fill: () => void, immediate = false) {
    watch(
      isOpen,
      (open) => {
        if (!open) return
        fill()
        resetErrors()
      },
      { immediate },
    )
  }

  async function submit(action: () => Promise<void>): Promise<boolean> {
    clearFieldErrors()
    const valid = await formRef.value?.validate().catch(() => false)
    if (!valid) return false
    saving.value = true
    try {
      await action()
      return true
    } catch (e) {
      const fe = fieldErrorFor(e, formProps, fieldMap)
      if (fe) fieldErrors[fe.prop] = fe.message
      else ElMessage.error(errorMessage(e, t('common.loadFailed')))
      return false
    } finally {
      saving.value = false
    }
  }

  return { formRef, fieldErrors, saving, clearFieldErrors, resetErrors, whenOpened, submit }
}
