import type { Router, RouteLocationNormalized, RouteLocationRaw } from 'vue-router'
import { configureHttp } from '@/api/http'
import { useAuthStore } from '@/stores/auth'
import { t } from '@/i18n'

/** Accepts only same-site paths as post-login targets (no `//host` or absolute URLs). */
export function safeRedirect(value: unknown): string {
  if (typeof value !== 'string') return '/home'
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/home'
  if (value.startsWith('/login')) return '/home'
  return value
}

/** Decides where a navigation may go; exported for tests. */
export async function guard(to: RouteLocationNormalized): Promise<true | RouteLocationRaw> {
  const auth = useAuthStore()
  if (to.meta.public) {
    if (to.name === 'login' && auth.isAuthenticated) return safeRedirect(to.query.redirect)
    return true
  }
  let signedIn: boolean
  try {
    signedIn = await auth.ensureProbed()
  } catch {
    signedIn = false
  }
  if (!signedIn) return { name: 'login', query: { redirect: to.fullPath } }
  if (auth.user?.must_enrol_totp && to.name !== 'account') {
    return { name: 'account', query: { section: 'totp' } }
  }
  if (to.meta.permission && !auth.hasPermission(to.meta.permission)) {
    return { name: 'forbidden', query: { from: to.fullPath } }
  }
  return true
}

/**
 * Installs the navigation guard and connects the HTTP wrapper to the session: unsafe requests
 * carry the store's CSRF token, and a 401 anywhere clears the session and opens the login page.
 */
export function installGuards(router: Router): void {
  router.beforeEach((to) => guard(to))
  router.afterEach((to) => {
    const title = to.meta.titleKey ? `${t(to.meta.titleKey)} - ` : ''
    document.title = `${title}${t('app.fullName')}`
  })
  const auth = useAuthStore()
  configureHttp({
    csrfToken: () => auth.csrfToken,
    onUnauthenticated: () => {
      auth.clear()
      const current = router.currentRoute.value
      if (current.name === 'login') return
      void router.push({ name: 'login', query: { redirect: current.fullPath } })
    },
  })
}
