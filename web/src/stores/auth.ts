import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { authApi } from '@/api'
import { ApiError } from '@/api/http'
import type { Me } from '@/api/types'

/** Session state: the signed-in user and the CSRF token that unsafe requests must carry. */
export const useAuthStore = defineStore('auth', () => {
  const user = ref<Me | null>(null)
  const csrfToken = ref('')
  /** True once we asked the server who we are (whatever the answer). */
  const probed = ref(false)

  const isAuthenticated = computed(() => user.value !== null)
  const permissions = computed(() => new Set(user.value?.permissions ?? []))

  function hasPermission(code: string | undefined): boolean {
    if (!code) return true
    return permissions.value.has(code)
  }

  function setSession(me: Me, token?: string): void {
    user.value = me
    csrfToken.value = token ?? me.csrf_token ?? csrfToken.value
    probed.value = true
  }

  function clear(): void {
    user.value = null
    csrfToken.value = ''
    probed.value = true
  }

  async function login(username: string, password: string, totp?: string): Promise<Me> {
    const res = await authApi.login(username, password, totp)
    setSession(res.user, res.csrf_token)
    return res.user
  }

  /** Restores the session after a reload from GET /me; resolves false when not signed in. */
  async function restore(): Promise<boolean> {
    try {
      const me = await authApi.me()
      setSession(me)
      return true
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        clear()
        return false
      }
      probed.value = true
      throw e
    }
  }

  async function ensureProbed(): Promise<boolean> {
    if (!probed.value) return restore()
    return isAuthenticated.value
  }

  async function logout(): Promise<void> {
    try {
      await authApi.logout()
    } finally {
      clear()
    }
  }

  return {
    user,
    csrfToken,
    probed,
    isAuthenticated,
    permissions,
    hasPermission,
    setSession,
    clear,
    login,
    restore,
    ensureProbed,
    logout,
  }
})
