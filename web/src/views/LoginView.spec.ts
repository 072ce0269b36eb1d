import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory, createRouter } from 'vue-router'
import { defineComponent } from 'vue'
import ElementPlus from 'element-plus'
import { i18n } from '@/i18n'
import LoginView from './LoginView.vue'
import { apiError, json, mockFetch } from '@/test/fetchMock'
import { sampleMe } from '@/test/fixtures'

const Stub = defineComponent({ template: '<div />' })

async function setup() {
  const pinia = createPinia()
  setActivePinia(pinia)
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/login', name: 'login', component: LoginView },
      { path: '/home', name: 'home', component: Stub },
      { path: '/system/users', name: 'users', component: Stub },
      { path: '/verify', name: 'verify', component: Stub },
    ],
  })
  await router.push('/login?redirect=/system/users')
  const wrapper = mount(LoginView, {
    global: { plugins: [pinia, router, i18n, ElementPlus] },
    attachTo: document.body,
  })
  return { wrapper, router }
}

async function fillAndSubmit(wrapper: Awaited<ReturnType<typeof setup>>['wrapper']) {
  await wrapper.find('input[data-test="login-username"]').setValue('totpuser')
  await wrapper.find('input[data-test="login-password"]').setValue('Lvyuan@2026demo')
  await wrapper.find('form').trigger('submit')
  await flushPromises()
}

describe('LoginView', () => {
  beforeEach(() => {
    i18n.global.locale.value = 'zh-CN'
  })
  afterEach(() => {
    vi.unstubAllGlobals()
    document.body.innerHTML = ''
  })

  it('asks for the TOTP code when the server requires it and re-sends with the code', async () => {
    const { calls } = mockFetch((call) => {
      const body = call.body as { totp?: string }
      return body.totp === '123456'
        ? json(200, { csrf_token: 'c', user: sampleMe() })
        : apiError(401, 'UNAUTHENTICATED', '请输入动态验证码', 'totp')
    })
    const { wrapper, router } = await setup()
    expect(wrapper.find('[data-test="login-totp"]').exists()).toBe(false)

    await fillAndSubmit(wrapper)
    await vi.waitFor(() =>
      expect(wrapper.find('input[data-test="login-totp"]').exists()).toBe(true),
    )
    expect(wrapper.find('input[data-test="login-password"]').exists()).toBe(false)
    expect(wrapper.find('[data-test="login-error"]').exists()).toBe(false)

    await wrapper.find('input[data-test="login-totp"]').setValue('123456')
    await wrapper.find('form').trigger('submit')
    await vi.waitFor(() => expect(router.currentRoute.value.path).toBe('/system/users'))
    expect(calls).toHaveLength(2)
    expect(calls[1].body).toEqual({
      username: 'totpuser',
      password: 'Lvyuan@2026demo',
      totp: '123456',
    })
  })

  it('shows the server message on wrong credentials and stays on the password step', async () => {
    mockFetch(() => apiError(401, 'UNAUTHENTICATED', '用户名或密码错误'))
    const { wrapper, router } = await setup()
    await fillAndSubmit(wrapper)
    await vi.waitFor(() => expect(wrapper.find('[data-test="login-error"]').exists()).toBe(true))
    expect(wrapper.find('[data-test="login-error"]').text()).toContain('用户名或密码错误')
    expect(wrapper.find('input[data-test="login-totp"]').exists()).toBe(false)
    expect(router.currentRoute.value.path).toBe('/login')
  })

  it('shows the lockout message on 423', async () => {
    mockFetch(() => apiError(423, 'LOCKED', '账号已锁定，请 15 分钟后再试'))
    const { wrapper } = await setup()
    await fillAndSubmit(wrapper)
    await vi.waitFor(() =>
      expect(wrapper.find('[data-test="login-error"]').text()).toContain('请 15 分钟后再试'),
    )
  })

  it('does not call the server when the fields are empty', async () => {
    const { calls } = mockFetch(() => json(200, {}))
    const { wrapper } = await setup()
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(calls).toHaveLength(0)
  })
})
