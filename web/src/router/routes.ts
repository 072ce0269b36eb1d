import type { RouteRecordRaw } from 'vue-router'

declare module 'vue-router' {
  interface RouteMeta {
    /** Reachable without signing in. */
    public?: boolean
    /** Permission code required to open the page. */
    permission?: string
    /** i18n key of the page title. */
    titleKey?: string
  }
}

export const routes: RouteRecordRaw[] = [
  {
    path: '/login',
    name: 'login',
    component: () => import('@/views/LoginView.vue'),
    meta: { public: true, titleKey: 'login.title' },
  },
  {
    path: '/',
    component: () => import('@/layouts/AppLayout.vue'),
    children: [
      { path: '', redirect: '/home' },
      {
        path: 'home',
        name: 'home',
        component: () => import('@/views/HomeView.vue'),
        meta: { titleKey: 'menu.home' },
      },
      {
        path: 'system/units',
        name: 'units',
        component: () => import('@/views/UnitsView.vue'),
        meta: { permission: 'system:unit:list', titleKey: 'menu.units' },
      },
      {
        path: 'system/users',
        name: 'users',
        component: () => import('@/views/UsersView.vue'),
        meta: { permission: 'system:user:list', titleKey: 'menu.users' },
      },
      {
        path: 'system/roles',
        name: 'roles',
        component: () => import('@/views/RolesView.vue'),
        meta: { permission: 'system:role:list', titleKey: 'menu.roles' },
      },
      {
        path: 'system/tokens',
        name: 'tokens',
        component: () => import('@/views/TokensView.vue'),
        meta: { permission: 'system:token:list', titleKey: 'menu.tokens' },
      },
      {
        path: 'audit',
        name: 'audit',
        component: () => import('@/views/AuditView.vue'),
        meta: { permission: 'audit:event:list', titleKey: 'menu.audit' },
      },
      {
        path: 'account',
        name: 'account',
        component: () => import('@/views/AccountView.vue'),
        meta: { titleKey: 'menu.account' },
      },
      {
        path: '403',
        name: 'forbidden',
        component: () => import('@/views/ForbiddenView.vue'),
        meta: { titleKey: 'errors.forbidden' },
      },
      {
        path: ':pathMatch(.*)*',
        name: 'not-found',
        component: () => import('@/views/NotFoundView.vue'),
        meta: { titleKey: 'errors.notFound' },
      },
    ],
  },
]
