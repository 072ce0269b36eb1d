import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ApiError, buildUrl, configureHttp, http } from './http'
import { apiError, json, mockFetch } from '@/test/fetchMock'

describe('http wrapper', () => {
  const onUnauthenticated = vi.fn()

  beforeEach(() => {
    onUnauthenticated.mockReset()
    configureHttp({ csrfToken: () => 'tok-123', onUnauthenticated })
  })
  afterEach(() => {
    vi.unstubAllGlobals()
  })

  it('adds the CSRF header on POST but not on GET', async () => {
    const { calls } = mockFetch(() => json(200, { ok: true }))
    await http.get('/api/v1/me')
    await http.post('/api/v1/units', { name: 'x' })
    expect(calls[0].headers['X-CSRF-Token']).toBeUndefined()
    expect(calls[1].headers['X-CSRF-Token']).toBe('tok-123')
    expect(calls[1].headers['Content-Type']).toBe('application/json')
    expect(calls[1].body).toEqual({ name: 'x' })
  })

  it('adds the CSRF header on PATCH and DELETE', async () => {
    const { calls } = mockFetch(() => new Response(null, { status: 204 }))
    await http.patch('/api/v1/units/1', { enabled: false })
    await http.del('/api/v1/tokens/2')
    expect(calls.map((c) => c.headers['X-CSRF-Token'])).toEqual(['tok-123', 'tok-123'])
  })

  it('sends cookies for same-origin requests', async () => {
    const { fn } = mockFetch(() => json(200, {}))
    await http.get('/api/v1/me')
    expect(fn.mock.calls[0][1]).toMatchObject({ credentials: 'same-origin', method: 'GET' })
  })

  it('parses the error body into an ApiError with code, message and field', async () => {
    mockFetch(() => apiError(400, 'INVALID_ARGUMENT', '地区代码无效', 'region_code'))
    const err = await http.post('/api/v1/units', {}).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err).toMatchObject({
      status: 400,
      code: 'INVALID_ARGUMENT',
      message: '地区代码无效',
      field: 'region_code',
    })
  })

  it('turns a non-JSON error body into an ApiError with the status', async () => {
    mockFetch(
      () => new Response('<html>bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }),
    )
    const err = await http.get('/api/v1/units').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err).toMatchObject({ status: 502, code: 'UNKNOWN', field: '' })
  })

  it('calls the unauthenticated handler on 401', async () => {
    mockFetch(() => apiError(401, 'UNAUTHENTICATED', '请先登录'))
    await expect(http.get('/api/v1/users')).rejects.toBeInstanceOf(ApiError)
    expect(onUnauthenticated).toHaveBeenCalledTimes(1)
  })

  it('does not call the unauthenticated handler when the caller opts out (login)', async () => {
    mockFetch(() => apiError(401, 'UNAUTHENTICATED', '用户名或密码错误'))
    await expect(
      http.post('/api/v1/auth/login', { username: 'a', password: 'b' }, { skipAuthRedirect: true }),
    ).rejects.toMatchObject({ status: 401 })
    expect(onUnauthenticated).not.toHaveBeenCalled()
  })

  it('does not call the unauthenticated handler on 403', async () => {
    mockFetch(() => apiError(403, 'PERMISSION_DENIED', '无权访问'))
    await expect(http.get('/api/v1/audit/events')).rejects.toMatchObject({ status: 403 })
    expect(onUnauthenticated).not.toHaveBeenCalled()
  })

  it('returns undefined for 204 responses', async () => {
    mockFetch(() => new Response(null, { status: 204 }))
    await expect(http.post('/api/v1/auth/logout')).resolves.toBeUndefined()
  })

  it('reports network failures as ApiError with status 0', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(() => Promise.reject(new TypeError('Failed to fetch'))),
    )
    await expect(http.get('/api/v1/me')).rejects.toMatchObject({ status: 0, code: 'NETWORK' })
  })

  it('builds query strings without empty values', () => {
    expect(
      buildUrl('/api/v1/units', { q: '湖州', type: '', region: undefined, enabled: false }),
    ).toBe('/api/v1/units?q=%E6%B9%96%E5%B7%9E&enabled=false')
    expect(buildUrl('/api/v1/units', { q: '' })).toBe('/api/v1/units')
  })
})
