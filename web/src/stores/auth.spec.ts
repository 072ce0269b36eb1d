import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { useAuthStore } from './auth'
import { apiError, json, mockFetch } from '@/test/fetchMock'
import { sampleMe } from '@/test/fixtures'

describe('auth store', () => {
  beforeEach(() => setActivePinia(createPinia()))
  afterEach(() => vi.unstubAllGlobals())

  it('keeps the user and CSRF token from the login response', async () => {
    const { calls } = mockFetch(() => json(200, { csrf_token: 'csrf-1', user: sampleMe() }))
    const auth = useAuthStore()
    await auth.login('hzhb_admin', 'pw')
    expect(calls[0].body).toEqual({ username: 'hzhb_admin', password: 'pw' })
    expect(auth.isAuthenticated).toBe(true)
    expect(auth.csrfToken).toBe('csrf-1')
    expect(auth.hasPermission('system:user:add')).toBe(true)
    expect(auth.hasPermission('audit:event:list')).toBe(false)
  })

  it('sends the TOTP code only when one is given', async () => {
    const { calls } = mockFetch(() => json(200, { csrf_token: 'c', user: sampleMe() }))
    await useAuthStore().login('u', 'p', '123456')
    expect(calls[0].body).toEqual({ username: 'u', password: 'p', totp: '123456' })
  })

  it('restores the session and CSRF token from GET /me', async () => {
    mockFetch(() => json(200, sampleMe({ csrf_token: 'csrf-from-me' })))
    const auth = useAuthStore()
    await expect(auth.restore()).resolves.toBe(true)
    expect(auth.user?.username).toBe('hzhb_admin')
    expect(auth.csrfToken).toBe('csrf-from-me')
  })

  it('treats 401 from GET /me as signed out', async () => {
    mockFetch(() => apiError(401, 'UNAUTHENTICATED', '请先登录'))
    const auth = useAuthStore()
    await expect(auth.ensureProbed()).resolves.toBe(false)
    expect(auth.isAuthenticated).toBe(false)
    expect(auth.probed).toBe(true)
  })

  it('asks the server only once who the user is', async () => {
    const { calls } = mockFetch(() => json(200, sampleMe({ csrf_token: 'x' })))
    const auth = useAuthStore()
    await auth.ensureProbed()
    await auth.ensureProbed()
    expect(calls).toHaveLength(1)
  })

  it('clears the session on logout even when the server call fails', async () => {
    mockFetch(() => apiError(500, 'INTERNAL', 'boom'))
    const auth = useAuthStore()
    auth.setSession(sampleMe(), 'csrf-1')
    await expect(auth.logout()).rejects.toBeTruthy()
    expect(auth.user).toBeNull()
    expect(auth.csrfToken).toBe('')
  })

  it('treats a missing permission requirement as allowed', () => {
    expect(useAuthStore().hasPermission(undefined)).toBe(true)
  })
})
