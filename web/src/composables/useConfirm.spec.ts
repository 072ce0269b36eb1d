import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ElMessage, ElMessageBox } from 'element-plus'
import { i18n } from '@/i18n'
import { ApiError } from '@/api/http'
import { confirmWarning, useEnabledToggle } from './useConfirm'

interface Row {
  id: number
  enabled: boolean
  name: string
}

describe('confirmWarning', () => {
  beforeEach(() => {
    i18n.global.locale.value = 'zh-CN'
  })
  afterEach(() => vi.restoreAllMocks())

  it('resolves true when confirmed and passes the localised buttons', async () => {
    const box = vi.spyOn(ElMessageBox, 'confirm').mockResolvedValue('confirm' as never)
    expect(await confirmWarning('确定停用？', '吊销')).toBe(true)
    expect(box).toHaveBeenCalledWith(
      '确定停用？',
      i18n.global.t('common.confirmTitle'),
      expect.objectContaining({
        type: 'warning',
        confirmButtonText: '吊销',
        cancelButtonText: i18n.global.t('common.cancel'),
      }),
    )
  })

  it('resolves false when cancelled', async () => {
    vi.spyOn(ElMessageBox, 'confirm').mockRejectedValue('cancel')
    expect(await confirmWarning('确定停用？')).toBe(false)
  })
})

describe('useEnabledToggle', () => {
  afterEach(() => vi.restoreAllMocks())

  const row: Row = { id: 7, enabled: true, name: '湖州' }

  function setup(save: (r: Row, enabled: boolean) => Promise<Row>) {
    const replace = vi.fn()
    const question = vi.fn((r: Row, next: boolean) => `${next ? 'enable' : 'disable'} ${r.name}`)
    const toggle = useEnabledToggle<Row>({ replace }, save, question)
    return { toggle, replace, question }
  }

  it('saves the flipped flag after confirmation and swaps the saved row in', async () => {
    const box = vi.spyOn(ElMessageBox, 'confirm').mockResolvedValue('confirm' as never)
    const success = vi.spyOn(ElMessage, 'success')
    const save = vi.fn(async (r: Row, enabled: boolean) => ({ ...r, enabled }))
    const { toggle, replace } = setup(save)

    expect(await toggle(row)).toBe(true)
    expect(box.mock.calls[0][0]).toBe('disable 湖州')
    expect(save).toHaveBeenCalledWith(row, false)
    const [predicate, saved] = replace.mock.calls[0]
    expect(saved).toEqual({ ...row, enabled: false })
    expect(predicate({ id: 7 })).toBe(true)
    expect(predicate({ id: 8 })).toBe(false)
    expect(success).toHaveBeenCalledTimes(1)
  })

  it('changes nothing when the user cancels', async () => {
    vi.spyOn(ElMessageBox, 'confirm').mockRejectedValue('cancel')
    const save = vi.fn(async (r: Row) => r)
    const { toggle, replace } = setup(save)
    expect(await toggle(row)).toBe(false)
    expect(save).not.toHaveBeenCalled()
    expect(replace).not.toHaveBeenCalled()
  })

  it('keeps the switch and shows the server message when saving fails', async () => {
    vi.spyOn(ElMessageBox, 'confirm').mockResolvedValue('confirm' as never)
    const error = vi.spyOn(ElMessage, 'error')
    const { toggle, replace } = setup(async () => {
      throw new ApiError(403, 'PERMISSION_DENIED', '无权限')
    })
    expect(await toggle(row)).toBe(false)
    expect(replace).not.toHaveBeenCalled()
    expect(error).toHaveBeenCalledWith('无权限')
  })
})
