import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory, createRouter, type Router } from 'vue-router'
import { defineComponent } from 'vue'
import { http } from '@/api/http'
import { useAuthStore } from '@/stores/auth'
import { installGuards, safeRedirect } from './guards'
import { apiError, json, mockFetch } from '@/test/fetchMock'
import { sampleMe } from '@/test/fixtures'

const Stub = defineComponent({ template: '<div />' })

function makeRouter(): Router {
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/login', name: 'login', component: Stub, meta: { public: true } },
      { path: '/home', name: 'home', component: Stub },
      { path: '/account', name: 'account', component: Stub },
      { path: '/403', name: 'forbidden', component: Stub },
      {
        path: '/system/users',
        name: 'users',
        component: Stub,
        meta: { permission: 'system:user:list' },
      },
      { path: '/audit', name: 'audit', component: Stub, meta: { permission: 'audit:event:list' } },
    ],
  })
  installGuards(router)
  return router
}

describe('route guards', () => {
  beforeEach(() => setActivePinia(createPinia()))
  afterEach(() => vi.unstubAllGlobals())

  it('sends an unauthenticated visitor to the login page with the target as redirect', async () => {
    mockFetch(() => apiError(401, 'UNAUTHENTICATED', '请先登录'))
    const router = makeRouter()
    await router.push('/system/users')
    expect(router.currentRoute.value.name).toBe('login')
    expect(router.currentRoute.value.query.redirect).toBe('/system/users')
  })

  it('opens the 403 page when the permission is missing', async () => {
    mockFetch(() => json(200, sampleMe({ csrf_token: 'c' })))
    const router = makeRouter()
    await router.push('/audit')
    expect(router.currentRoute.value.name).toBe('forbidden')
  })

  it('lets a permitted user in', async () => {
    mockFetch(() => json(200, sampleMe({ csrf_token: 'c' })))
    const router = makeRouter()
    await router.push('/system/users')
    expect(router.currentRoute.value.name).toBe('users')
  })

  it('forces TOTP enrolment when the role requires it', async () => {
    mockFetch(() => json(200, sampleMe({ csrf_token: 'c', must_enrol_totp: true })))
    const router = makeRouter()
    await router.push('/system/users')
    expect(router.currentRoute.value.name).toBe('account')
    expect(router.currentRoute.value.query.section).toBe('totp')
  })

  it('on a 401 from any API call clears the session and opens login with a redirect', async () => {
    mockFetch((call) =>
      call.url === '/api/v1/me'
        ? json(200, sampleMe({ csrf_token: 'c' }))
        : apiError(401, 'UNAUTHENTICATED', '登录已过期'),
    )
    const router = makeRouter()
    await router.push('/system/users')
    const auth = useAuthStore()
    expect(auth.isAuthenticated).toBe(true)

    await expect(http.get('/api/v1/users')).rejects.toMatchObject({ status: 401 })
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe('login'))
    expect(router.currentRoute.value.query.redirect).toBe('/system/users')
    expect(auth.isAuthenticated).toBe(false)
    expect(auth.csrfToken).toBe('')
  })

  it('sends the CSRF token of the store on unsafe requests', async () => {
    const { calls } = mockFetch(() => json(200, {}))
    makeRouter()
    useAuthStore().setSession(sampleMe(), 'store-token')
    await http.post('/api/v1/me/totp/setup')
    expect(calls[0].headers['X-CSRF-Token']).toBe('store-token')
  })

  it('only accepts same-site paths as post-login redirects', () => {
    expect(safeRedirect('/system/users?q=1')).toBe('/system/users?q=1')
    expect(safeRedirect('//evil.example/')).toBe('/home')
    expect(safeRedirect('https://evil.example/')).toBe('/home')
    expect(safeRedirect('/\\evil.example')).toBe('/home')
    expect(safeRedirect(undefined)).toBe('/home')
    expect(safeRedirect('/login?redirect=/x')).toBe('/home')
  })
})
