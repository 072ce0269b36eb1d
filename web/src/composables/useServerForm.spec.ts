import { afterEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h, nextTick, reactive, ref } from 'vue'
import { flushPromises, mount } from '@vue/test-utils'
import ElementPlus, { ElForm, ElFormItem, ElInput, ElMessage } from 'element-plus'
import { i18n } from '@/i18n'
import { ApiError } from '@/api/http'
import { useServerForm } from './useServerForm'

/** A form with a required `name` and an optional `cert_valid_to`, exposing the composable. */
function mountForm(initialName: string) {
  const Form = defineComponent({
    setup(_, { expose }) {
      const form = reactive({ name: initialName, cert_valid_to: '' })
      const state = useServerForm(['name', 'cert_valid_to'], {
        'certificate.valid_to': 'cert_valid_to',
      })
      expose({ state })
      return () =>
        h(
          ElForm,
          { ref: 'formRef', model: form, rules: { name: [{ required: true, message: 'need' }] } },
          () => [
            h(ElFormItem, { prop: 'name', error: state.fieldErrors.name }, () =>
              h(ElInput, {
                modelValue: form.name,
                'onUpdate:modelValue': (v: string) => (form.name = v),
              }),
            ),
            h(ElFormItem, { prop: 'cert_valid_to', error: state.fieldErrors.cert_valid_to }),
          ],
        )
    },
  })
  const wrapper = mount(Form, { global: { plugins: [i18n, ElementPlus] } })
  return (wrapper.vm as unknown as { state: ReturnType<typeof useServerForm> }).state
}

describe('useServerForm', () => {
  afterEach(() => vi.restoreAllMocks())

  it('does not run the action when client-side validation fails', async () => {
    const state = mountForm('')
    const action = vi.fn(async () => {})
    expect(await state.submit(action)).toBe(false)
    expect(action).not.toHaveBeenCalled()
  })

  it('runs the action with saving set and resolves true on success', async () => {
    const state = mountForm('湖州')
    let savingDuringAction = false
    const ok = await state.submit(async () => {
      savingDuringAction = state.saving.value
    })
    expect(ok).toBe(true)
    expect(savingDuringAction).toBe(true)
    expect(state.saving.value).toBe(false)
  })

  it('puts a server field error under the mapped form item', async () => {
    const state = mountForm('湖州')
    const toast = vi.spyOn(ElMessage, 'error')
    const ok = await state.submit(async () => {
      throw new ApiError(400, 'INVALID_ARGUMENT', '有效期无效', 'certificate.valid_to')
    })
    expect(ok).toBe(false)
    expect({ ...state.fieldErrors }).toEqual({ cert_valid_to: '有效期无效' })
    expect(toast).not.toHaveBeenCalled()
    expect(state.saving.value).toBe(false)
  })

  it('shows errors for fields outside the form as a toast', async () => {
    const state = mountForm('湖州')
    const toast = vi.spyOn(ElMessage, 'error')
    await state.submit(async () => {
      throw new ApiError(409, 'ABORTED', '数据已被他人修改', 'version')
    })
    expect(toast).toHaveBeenCalledWith('数据已被他人修改')
    expect({ ...state.fieldErrors }).toEqual({})
  })

  it('clears earlier server errors on the next submit and on reset', async () => {
    const state = mountForm('湖州')
    await state.submit(async () => {
      throw new ApiError(400, 'INVALID_ARGUMENT', '名称重复', 'name')
    })
    expect(state.fieldErrors.name).toBe('名称重复')
    await state.submit(async () => {})
    expect(state.fieldErrors.name).toBeUndefined()

    await state.submit(async () => {
      throw new ApiError(400, 'INVALID_ARGUMENT', '名称重复', 'name')
    })
    state.resetErrors()
    await flushPromises()
    expect({ ...state.fieldErrors }).toEqual({})
  })

  it('refills the form and clears server errors each time the dialog opens', async () => {
    const open = ref(false)
    const fill = vi.fn()
    let state!: ReturnType<typeof useServerForm>
    mount({
      setup() {
        state = useServerForm(['name'])
        state.whenOpened(() => open.value, fill)
        return () => h('div')
      },
    })
    expect(fill).not.toHaveBeenCalled()
    state.fieldErrors.name = '名称重复'
    open.value = true
    await nextTick()
    expect(fill).toHaveBeenCalledTimes(1)
    expect({ ...state.fieldErrors }).toEqual({})
    open.value = false
    await nextTick()
    open.value = true
    await nextTick()
    expect(fill).toHaveBeenCalledTimes(2)
  })
})
