import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory, createRouter } from 'vue-router'
import { defineComponent } from 'vue'
import ElementPlus from 'element-plus'
import { i18n } from '@/i18n'
import { apiError, json, mockFetch, type Call } from '@/test/fetchMock'
import { eventProofs, recordKey } from '@/test/record/fixtures'
import { sm3 } from '@/utils/sm3'
import { toHex } from '@/utils/bytes'
import VerifyView from './VerifyView.vue'

const proof = eventProofs[0]
const recordedAnswer = (sm3hex: string) => ({
  sm3: sm3hex,
  recorded: true,
  recorded_at: proof.event.at,
  seq: proof.event.seq,
  leaf_hash: proof.leaf_hash,
  tree_size: proof.tree_size,
  proof: proof.proof,
  checkpoint: proof.checkpoint,
  hash: proof.hash,
})

function backend(file: (call: Call, sm3hex: string) => Response) {
  return mockFetch((call) => {
    if (call.url === '/api/public/record/key') return json(200, recordKey)
    if (call.url === '/api/public/record/checkpoints/latest') return json(200, proof.checkpoint)
    const m = call.url.match(/^\/api\/public\/record\/files\/([0-9a-f]+)$/)
    if (m) return file(call, m[1])
    return apiError(404, 'NOT_FOUND', 'unexpected')
  })
}

async function setup() {
  setActivePinia(createPinia())
  const Stub = defineComponent({ template: '<div />' })
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/verify', component: VerifyView },
      { path: '/login', component: Stub },
    ],
  })
  await router.push('/verify')
  const wrapper = mount(VerifyView, {
    global: { plugins: [router, i18n, ElementPlus] },
    attachTo: document.body,
  })
  await flushPromises()
  return wrapper
}

describe('VerifyView', () => {
  beforeEach(() => {
    i18n.global.locale.value = 'zh-CN'
  })
  afterEach(() => {
    vi.unstubAllGlobals()
    document.body.innerHTML = ''
  })

  it("shows the deployment's key id and the latest checkpoint with a valid signature", async () => {
    backend(() => json(200, {}))
    const wrapper = await setup()
    expect(wrapper.find('[data-test="verify-key-id"]').text()).toBe(recordKey.key_id)
    expect(wrapper.find('[data-test="verify-latest"]').text()).toContain(
      String(proof.checkpoint!.size),
    )
    await vi.waitFor(() =>
      expect(wrapper.find('[data-test="verify-latest-signature"]').text()).toBe('签名有效'),
    )
  })

  it('says 未找到 for a hash that is not recorded', async () => {
    const { calls } = backend((_c, hex) => json(200, { sm3: hex, recorded: false }))
    const wrapper = await setup()
    await wrapper.find('input[data-test="verify-hash"]').setValue('AB'.repeat(32))
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(wrapper.find('[data-test="verify-not-found"]').text()).toContain('未找到')
    expect(calls.some((c) => c.url === `/api/public/record/files/${'ab'.repeat(32)}`)).toBe(true)
  })

  it('refuses a value that is not a 64-character hex hash without asking the server', async () => {
    const { calls } = backend(() => json(200, {}))
    const wrapper = await setup()
    await wrapper.find('input[data-test="verify-hash"]').setValue('xyz')
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(wrapper.text()).toContain('请输入 64 位十六进制的 SM3 哈希')
    expect(calls.some((c) => c.url.includes('/files/'))).toBe(false)
  })

  it('verifies a recorded answer in the browser and explains what is proven', async () => {
    backend((_c, hex) => json(200, recordedAnswer(hex)))
    const wrapper = await setup()
    await wrapper.find('input[data-test="verify-hash"]').setValue('cd'.repeat(32))
    await wrapper.find('form').trigger('submit')
    await vi.waitFor(() =>
      expect(wrapper.find('[data-test="verify-proof-ok"]').exists()).toBe(true),
    )
    const explain = wrapper.find('[data-test="verify-explain"]').text()
    expect(explain).toContain(`第 ${proof.event.seq} 号上传事件`)
    expect(explain).toContain(recordKey.key_id)
    expect(explain).toContain('由服务端给出')
  })

  it('marks an answer whose proof does not hold as failed', async () => {
    backend((_c, hex) => json(200, { ...recordedAnswer(hex), seq: proof.event.seq + 1 }))
    const wrapper = await setup()
    await wrapper.find('input[data-test="verify-hash"]').setValue('cd'.repeat(32))
    await wrapper.find('form').trigger('submit')
    await vi.waitFor(() =>
      expect(wrapper.find('[data-test="verify-proof-failed"]').text()).toContain('包含证明不成立'),
    )
    expect(wrapper.find('[data-test="verify-explain"]').exists()).toBe(false)
  })

  it('hashes a chosen file locally and looks up its SM3', async () => {
    const { calls } = backend((_c, hex) => json(200, { sm3: hex, recorded: false }))
    const wrapper = await setup()
    const bytes = new TextEncoder().encode('现场照片 IMG_0001')
    const file = new File([bytes], 'IMG_0001.jpg', { type: 'image/jpeg' })
    const input = wrapper.find('input[data-test="verify-file-input"]')
    Object.defineProperty(input.element, 'files', { value: [file], configurable: true })
    await input.trigger('change')
    const want = toHex(sm3(bytes))
    await vi.waitFor(() =>
      expect(calls.some((c) => c.url === `/api/public/record/files/${want}`)).toBe(true),
    )
    await flushPromises()
    expect((wrapper.find('input[data-test="verify-hash"]').element as HTMLInputElement).value).toBe(
      want,
    )
    expect(wrapper.find('[data-test="verify-not-found"]').exists()).toBe(true)
  })
})
